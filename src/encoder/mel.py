"""Fixed log-mel spectrogram "encoder" for vocoder-only training (Vocos, Siuzdak 2023, MelSpectrogramFeatures)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from src.encoder.base import Encoder
from src.nn.spectral import check_padding, log_mel, mel_filterbank, stft


class MelEncoder(Encoder):
    """wav: (B, C, T) -> log-mel (B, C * n_mels, ceil(T / hop_length)); no trainable parameters.

    Magnitude (power 1) STFT with a periodic Hann window of n_fft, HTK-scale triangular filters without
    area normalisation (torchaudio's MelSpectrogram defaults, which Vocos uses), then log(max(x, 1e-7)).
    Frames follow src.nn.spectral: 'center' = torch.stft(center=True) minus its last frame, 'same' = pad
    (n_fft - hop) / 2 per side; either way F = T / hop frames (the input is zero-padded to a hop multiple).
    `last_frame` keeps torch.stft(center=True)'s final frame (F + 1 frames), as the official Vocos does;
    converted Vocos checkpoints set it so that the waveform matches theirs sample for sample.
    """

    def __init__(
        self,
        sample_rate: int,
        channels: int,
        latent_dim: int,
        n_mels: int = 100,
        n_fft: int = 1024,
        hop_length: int = 256,
        f_min: float = 0.0,
        f_max: float | None = None,
        padding: str = "center",
        log_floor: float = 1e-7,
        last_frame: bool = False,
    ) -> None:
        super().__init__()
        check_padding(padding, n_fft, hop_length, "encoder")
        if last_frame and padding != "center":
            raise ValueError(
                "encoder.last_frame=true needs encoder.padding=center (only centred framing has the extra frame)"
            )
        if latent_dim != channels * n_mels:
            raise ValueError(
                f"encoder.latent_dim={latent_dim} but the mel encoder outputs channels x n_mels = "
                f"{channels} x {n_mels}: set the top-level latent_dim to {channels * n_mels}"
            )
        f_max = f_max if f_max is not None else sample_rate / 2
        if not 0 <= f_min < f_max <= sample_rate / 2:
            raise ValueError(f"encoder: need 0 <= f_min ({f_min}) < f_max ({f_max}) <= sample_rate / 2")
        fb = mel_filterbank(sample_rate, n_fft, n_mels, f_min, f_max)
        # buffers, not parameters, and not saved: the features are a fixed function of the config
        self.register_buffer("mel_fb", fb, persistent=False)
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.sample_rate, self.channels, self.latent_dim = sample_rate, channels, latent_dim
        self.n_mels, self.n_fft, self.hop_length, self.padding = n_mels, n_fft, hop_length, padding
        self.log_floor, self.last_frame = log_floor, bool(last_frame)

    def forward(self, wav: Tensor) -> Tensor:
        if wav.dim() != 3 or wav.shape[1] != self.channels:
            raise ValueError(f"MelEncoder expects (B, {self.channels}, T) (channels); got {tuple(wav.shape)}")
        extra = (-wav.shape[-1]) % self.hop_length
        wav = F.pad(wav.float(), (0, extra))
        if self.last_frame:  # torchaudio's Spectrogram as Vocos calls it: F + 1 reflect-padded frames
            flat = torch.stft(
                wav.flatten(0, 1),
                self.n_fft,
                self.hop_length,
                window=self.window,
                center=True,
                pad_mode="reflect",
                return_complex=True,
            )
            mag = flat.abs().unflatten(0, wav.shape[:2])  # (B, C, K, F + 1)
        else:
            mag = stft(wav, self.n_fft, self.hop_length, self.window, self.padding).abs()  # (B, C, K, F)
        return log_mel(mag, self.mel_fb, self.log_floor)
