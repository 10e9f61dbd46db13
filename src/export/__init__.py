"""codeclab run directories -> published checkpoint formats (issue 13)."""
