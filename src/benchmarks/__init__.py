"""Speed benchmarks dispatched by `python -m src.bench <name>`."""
