"""Fixtures for the export tests: the official packages' never-called imports, stubbed per test."""
from tests.convert.official import official_imports  # noqa: F401  (a fixture)
