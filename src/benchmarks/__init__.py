"""Benchmarks behind `python -m src.bench <name>`; each module exposes main(overrides) -> dict."""


def parse_options(defaults: dict, overrides: list[str]) -> dict:
    """key=value arguments over `defaults`, each value cast to its default's type; unknown keys are refused."""
    opts = dict(defaults)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or key not in opts:
            raise ValueError(f"bad argument {item!r}: use key=value with key in {sorted(opts)}")
        opts[key] = type(defaults[key])(value)
    return opts
