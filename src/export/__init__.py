"""codeclab run directories -> the published formats (`python -m src.export`, docs/published_checkpoints.md).

Each format lives in src/export/<format>.py and exposes `export(codec, cfg, out: Path) -> None`;
src/export/registry.py lists them. The result loads in the official code (or in transformers).
"""
