"""Frame-rate spectral encoder: STFT -> ConvNeXt -> latent, the mirror of the Vocos decoder (Siuzdak 2023).

Lineage: Vocos' ConvNeXt backbone run at the frame rate (Siuzdak 2023), as WavTokenizer's decoder uses it
(Ji et al. 2024), here turned around into an encoder as spectral codecs do: APCodec (Ai et al. 2024) encodes
amplitude and phase spectra with ConvNeXt stacks, Langman et al. (2024, "Spectral Codecs") quantize
spectrogram bands. The STFT framing is `src.nn.spectral`'s, the same as the ISTFT head's, so frame f of the
encoder covers the samples that frame f of the head synthesizes and F = ceil(T / hop) exactly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from src.encoder.base import Encoder
from src.nn.convnext import ConvNeXtBlock
from src.nn.spectral import check_padding, log_mel, mel_filterbank, stft

# How the complex spectrum X = |X| e^{i phi} is shown to the network (per bin and audio channel):
FEATURES = {
    "logmag_phase": 3,  # log|X|, cos(phi), sin(phi): magnitude in the log domain, phase on the circle
    "compressed_complex": 2,  # Re, Im of |X|^c e^{i phi} (power-law compression keeps the phase exact)
    "logmag": 1,  # log|X| only: the magnitude-only baseline (the phase must be invented by the decoder)
}


def spectral_features(spec: Tensor, kind: str, log_floor: float, compression: float) -> Tensor:
    """spec: complex (B, C, K, F) -> real features (B, C * K * FEATURES[kind], F)."""
    mag = spec.abs()
    if kind == "compressed_complex":
        scale = mag.clamp_min(log_floor).pow(compression - 1.0)  # |X|^c / |X|, finite at |X| = 0
        parts = [spec.real * scale, spec.imag * scale]
    else:
        parts = [mag.clamp_min(log_floor).log()]
        if kind == "logmag_phase":
            # cos/sin of the angle from X / |X|; a silent bin gets the angle 0 rather than NaN
            unit = spec / mag.clamp_min(log_floor)
            parts += [unit.real, unit.imag]
    return torch.cat(parts, dim=2).flatten(1, 2)


class SpectralEncoder(Encoder):
    """wav: (B, C, T) -> z: (B, latent_dim, ceil(T / hop_length)), everything after the STFT at the frame rate.

    STFT (periodic Hann window of n_fft, frames as the ISTFT head places them) -> per-frame features
    (`features`, see FEATURES) -> Conv1d(k=embed_kernel_size) embed -> LayerNorm -> ConvNeXt x num_layers ->
    LayerNorm ->
    Linear to latent_dim (+ a fixed log-mel skip with `mel_skip`, see _init_mel_skip). The input is
    zero-padded to a multiple of hop_length, as every encoder here is.
    """

    def __init__(
        self,
        channels: int,
        latent_dim: int,
        hop_length: int = 320,
        n_fft: int | None = None,
        padding: str = "same",
        features: str = "logmag_phase",
        dim: int = 256,
        intermediate_dim: int = 768,
        num_layers: int = 4,
        layer_scale_init_value: float | None = None,
        kernel_size: int = 7,
        embed_kernel_size: int = 1,
        compression: float = 0.3,
        log_floor: float = 1e-5,
        mel_skip: bool = False,
        sample_rate: int = 16000,
    ) -> None:
        super().__init__()
        n_fft = n_fft or 4 * hop_length
        check_padding(padding, n_fft, hop_length, "encoder")
        if features not in FEATURES:
            raise ValueError(f"encoder.features={features!r}: choose one of {sorted(FEATURES)}")
        if num_layers < 1:
            raise ValueError(f"encoder.num_layers={num_layers}: need at least one ConvNeXt block")
        if not 0.0 < compression <= 1.0:
            raise ValueError(f"encoder.compression={compression}: need 0 < compression <= 1")
        self.channels, self.latent_dim, self.hop_length, self.n_fft = channels, latent_dim, hop_length, n_fft
        self.padding, self.features, self.compression, self.log_floor = padding, features, compression, log_floor
        in_dim = channels * (n_fft // 2 + 1) * FEATURES[features]
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.embed = nn.Conv1d(in_dim, dim, embed_kernel_size, padding=embed_kernel_size // 2)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        scale = layer_scale_init_value if layer_scale_init_value is not None else 1.0 / num_layers
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(dim, intermediate_dim, scale, kernel_size=kernel_size) for _ in range(num_layers)
        )
        self.final_norm = nn.LayerNorm(dim, eps=1e-6)
        self.out = nn.Linear(dim, latent_dim)
        self.mel_skip = mel_skip
        if mel_skip:
            self._init_mel_skip(sample_rate)

    def _init_mel_skip(self, sample_rate: int) -> None:
        """z = log-mel(|X|) + learned residual, the residual's output layer starting at zero.

        The codec then starts as a fixed log-mel front end, whose latent the EMA codebooks can track from the
        first step, and the ConvNeXt path learns what the mel bands miss (phase, fine structure) on top.
        Measured on the demo corpus: a learned encoder alone lagged a fixed log-mel front end by ~15 % in mel
        loss after 800 steps (docs/framerate.md).
        """
        if self.latent_dim % self.channels:
            raise ValueError(
                f"encoder.mel_skip needs latent_dim ({self.latent_dim}) divisible by channels "
                f"({self.channels}): the skip is latent_dim / channels mel bands per channel"
            )
        n_mels = self.latent_dim // self.channels
        fb = mel_filterbank(sample_rate, self.n_fft, n_mels, 0.0, sample_rate / 2)
        self.register_buffer("mel_fb", fb, persistent=False)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def analyse(self, wav: Tensor) -> tuple[Tensor, Tensor | None]:
        """wav: (B, C, T) -> features (B, C * K * per_bin, F) and, with mel_skip, log-mel (B, latent_dim, F)."""
        if wav.dim() != 3 or wav.shape[1] != self.channels:
            raise ValueError(f"SpectralEncoder expects (B, {self.channels}, T) (channels); got {tuple(wav.shape)}")
        wav = F.pad(wav.float(), (0, (-wav.shape[-1]) % self.hop_length))
        # the FFT runs in float32 even under autocast (complex half is not supported everywhere)
        with torch.autocast(wav.device.type, enabled=False):
            spec = stft(wav, self.n_fft, self.hop_length, self.window, self.padding)  # (B, C, K, F)
            feats = spectral_features(spec, self.features, self.log_floor, self.compression)
            if not self.mel_skip:
                return feats, None
            return feats, log_mel(spec.abs(), self.mel_fb, self.log_floor)

    def forward(self, wav: Tensor) -> Tensor:
        feats, skip = self.analyse(wav)
        x = self.embed(feats)
        x = self.norm(x.transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        z = self.out(self.final_norm(x.transpose(1, 2))).transpose(1, 2)
        return z if skip is None else z + skip
