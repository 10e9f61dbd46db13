"""codeclab head components."""
