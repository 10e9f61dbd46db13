"""codeclab nn components."""
