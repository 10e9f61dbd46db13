"""codeclab encoder components."""
