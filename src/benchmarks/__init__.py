"""Benchmarks dispatched by `python -m src.bench <name>`: each module has main(overrides) -> dict."""
