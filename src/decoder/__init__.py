"""codeclab decoder components."""
