"""Sweep reporting: read run directories (runs.py), tabulate (table.py), plot (plots.py)."""
