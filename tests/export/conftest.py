"""Export tests reuse the converter tests' fixtures (official packages, stubs, audio, comparison)."""

from tests.convert.conftest import dac_pkg, encodec_pkg, transformers_pkg  # noqa: F401
from tests.convert.official import official_imports  # noqa: F401  (a fixture)
