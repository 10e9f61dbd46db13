"""Benchmarks behind `python -m src.bench <name>`; each module exposes main(overrides) -> dict."""
