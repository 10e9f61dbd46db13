"""codeclab quantizer components."""
