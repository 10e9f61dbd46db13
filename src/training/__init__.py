"""codeclab training components."""
