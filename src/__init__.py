"""codeclab: a Hydra-composed research framework for neural audio codecs."""
