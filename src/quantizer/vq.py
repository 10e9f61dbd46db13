"""Single EMA-codebook VQ (WavTokenizer, Ji et al. 2024: one 4096-code codebook, k-means init)."""

from __future__ import annotations

from src.quantizer.rvq import ResidualVQ


class VectorQuantizer(ResidualVQ):
    """ResidualVQ with exactly one codebook: z (B, input_dim, F) -> z_q (B, output_dim, F), codes (B, 1, F).

    Quantizer dropout and skip_rvq_ratio do not apply to a single codebook.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int | None = None,
        codebook_size: int = 4096,
        codebook_dim: int | None = None,
        decay: float = 0.99,
        epsilon: float = 1e-5,
        kmeans_init: bool = True,
        kmeans_iters: int = 200,
        threshold_ema_dead: float = 2.0,
        commitment_weight: float = 1.0,
        usage_window: int = 100,
        seed: int = 0,
    ) -> None:
        if output_dim is not None and int(output_dim) != int(input_dim):
            raise ValueError(f"quantizer.output_dim={output_dim} must equal input_dim={input_dim} for vq")
        super().__init__(
            input_dim,
            output_dim,
            None,
            1,
            codebook_size,
            codebook_dim,
            decay,
            epsilon,
            kmeans_init,
            kmeans_iters,
            threshold_ema_dead,
            0.0,
            0.0,
            commitment_weight,
            usage_window,
            seed,
        )
