"""codeclab metrics components."""
