"""Export tests reuse the converter tests' fixtures (official packages, audio, comparison)."""
from tests.convert.conftest import dac_pkg, encodec_pkg, transformers_pkg  # noqa: F401
