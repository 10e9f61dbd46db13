"""Nominal and entropy-based bitrate of a discrete codec's codes (as reported by EnCodec/DAC-style evaluations).

nominal  = frame_rate x sum_k log2(K_k)
entropy  = frame_rate x sum_k H_k,  H_k = -sum_i p_k(i) log2 p_k(i), the empirical entropy (bits) of
           codebook k's codes pooled over every valid frame of the whole test set
perplexity_k = 2^H_k;  utilization_k = (codes of codebook k used at least once) / K_k
"""

from __future__ import annotations

import math

import numpy as np


def nominal_bitrate(frame_rate: float, codebook_sizes) -> float:
    """frame_rate (frames/s) x sum of log2 of each codebook size, in bit/s: the one formula for the
    codec (Codec.nominal_bitrate, src.summary), the evaluation's code statistics and the benchmarks."""
    return frame_rate * sum(math.log2(int(k)) for k in codebook_sizes)


class CodeStats:
    """Accumulates per-codebook code histograms over a test set."""

    def __init__(self, codebook_sizes: list[int], frame_rate: float) -> None:
        if not codebook_sizes:
            raise ValueError("CodeStats needs the codebook sizes of a discrete codec (codec.codebook_sizes())")
        self.sizes = [int(k) for k in codebook_sizes]
        self.frame_rate = float(frame_rate)
        self.counts = [np.zeros(k, dtype=np.int64) for k in self.sizes]

    def update(self, codes, frames=None) -> None:
        """codes: (B, n_q, F) integers; frames: optional (B,) valid frames per item (padding excluded)."""
        codes = np.asarray(codes)
        if codes.ndim != 3 or codes.shape[1] > len(self.sizes):
            raise ValueError(f"codes must be (B, n_q<={len(self.sizes)}, F); got {codes.shape}")
        frames = [codes.shape[-1]] * codes.shape[0] if frames is None else [int(f) for f in frames]
        for b, n in enumerate(frames):
            for k in range(codes.shape[1]):
                row = codes[b, k, :n]
                if row.size and (row.min() < 0 or row.max() >= self.sizes[k]):
                    raise ValueError(f"codebook {k}: codes outside [0, {self.sizes[k]})")
                self.counts[k] += np.bincount(row, minlength=self.sizes[k])

    def summary(self) -> dict:
        """-> bitrate section of metrics.json (bit/s; entropies in bits per frame)."""
        used = [k for k, c in enumerate(self.counts) if c.sum() > 0]
        entropy = []
        for k in used:
            p = self.counts[k][self.counts[k] > 0] / self.counts[k].sum()
            entropy.append(float(max(0.0, -(p * np.log2(p)).sum())))
        return {
            "bitrate_nominal": nominal_bitrate(self.frame_rate, [self.sizes[k] for k in used]),
            "bitrate_entropy": self.frame_rate * sum(entropy),
            "frame_rate": self.frame_rate,
            "n_codebooks": len(used),
            "codebook_size": [self.sizes[k] for k in used],
            "n_frames": int(self.counts[used[0]].sum()) if used else 0,
            "entropy": entropy,
            "perplexity": [2.0**h for h in entropy],
            "utilization": [float((self.counts[k] > 0).mean()) for k in used],
        }
