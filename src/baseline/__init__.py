"""Reference codecs scored by the project's own metric suite (`python -m src.baseline`), and the
comparison table of a learned codec beside them (`python -m src.baseline.table`)."""
