"""codeclab data components."""
