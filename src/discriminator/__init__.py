"""codeclab discriminator components."""
