"""codeclab loss components."""
