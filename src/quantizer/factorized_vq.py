"""Single factorized VQ of BigCodec (Xin et al. 2024): 8192 codes of dim 8, L2-normalised lookup,
codebook learned by gradient, commitment weight 0.25."""

from __future__ import annotations

from src.quantizer.dac_rvq import DACResidualVQ


class FactorizedVQ(DACResidualVQ):
    """One FactorizedLayer: z (B, input_dim, F) -> z_q (B, input_dim, F), codes (B, 1, F)."""

    def __init__(
        self,
        input_dim: int,
        output_dim: int | None = None,
        codebook_size: int = 8192,
        codebook_dim: int = 8,
        commitment_weight: float = 0.25,
        codebook_weight: float = 1.0,
        usage_window: int = 100,
    ) -> None:
        super().__init__(
            input_dim,
            output_dim,
            1,
            codebook_size,
            codebook_dim,
            0.0,
            commitment_weight,
            codebook_weight,
            usage_window,
        )
