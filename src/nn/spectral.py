"""The one STFT/mel front end, ISTFT and MDCT/IMDCT, F frames <-> F * hop samples (Vocos, Siuzdak 2023).

Analysis (`stft`, `MelSpectrogram`, `mel_filterbank`) serves the encoders, the discriminators, the losses
and the validation images; its framings are listed in `stft` (docs/spectral.md). The codec convention
shared by the mel/spectral encoders and the spectral heads (so that analysis and synthesis agree):
- padding="same": the signal is padded by (win - hop) / 2 on each side and framed without centring, so a
  signal of T = F * hop samples gives exactly F frames, frame f centred at f * hop + hop / 2.
- padding="center": the signal is padded by win / 2 on each side (torch.stft(center=True)); that yields
  F + 1 frames and the last one is dropped, so frame f is centred at sample f * hop.
Synthesis overlap-adds the F frames in the padded coordinates and crops the same left padding, returning
exactly F * hop samples.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from src.nn.conv import pad1d

PADDINGS = ("same", "center")  # the codec framings: F frames <-> F * hop samples
FRAMINGS = ("same", "center", "center_full", "none")  # those of `stft` (analysis only)
PAD_MODES = ("reflect", "constant", "reflect_or_zeros")


def check_padding(padding: str, win_length: int, hop_length: int, owner: str) -> None:
    """Raise a clear error when (padding, win, hop) cannot give F frames <-> F * hop samples."""
    if padding not in PADDINGS:
        raise ValueError(f"{owner}.padding={padding!r}: choose one of {PADDINGS}")
    if hop_length <= 0 or win_length < hop_length:
        raise ValueError(f"{owner}: need 0 < hop_length ({hop_length}) <= window ({win_length})")
    if padding == "same" and (win_length - hop_length) % 2:
        raise ValueError(
            f"{owner}: padding='same' needs an even (window - hop_length); got {win_length} - {hop_length}"
        )
    if padding == "center" and (win_length % 2 or hop_length > win_length // 2):
        raise ValueError(
            f"{owner}: padding='center' needs an even window >= 2 * hop_length; got window={win_length}, "
            f"hop_length={hop_length}"
        )


def left_padding(padding: str, win_length: int, hop_length: int) -> int:
    """Samples of padding before sample 0 in the frame coordinates (see module docstring)."""
    return (win_length - hop_length) // 2 if padding == "same" else win_length // 2


def frame_signal(x: Tensor, win_length: int, hop_length: int, padding: str, pad_mode: str = "reflect") -> Tensor:
    """x: (..., T) with T = F * hop -> frames (..., F, win), padded as in the module docstring."""
    if x.shape[-1] % hop_length:
        raise ValueError(f"signal length {x.shape[-1]} is not a multiple of hop_length={hop_length}")
    n_frames = x.shape[-1] // hop_length
    left = left_padding(padding, win_length, hop_length)
    right = (n_frames - 1) * hop_length + win_length - left - x.shape[-1]
    lead = x.shape[:-1]
    x = x.reshape(-1, 1, x.shape[-1])
    mode = pad_mode if max(left, right) < x.shape[-1] else "constant"  # reflect needs a longer signal
    x = F.pad(x, (left, max(right, 0)), mode=mode)
    frames = x[..., 0, :].unfold(-1, win_length, hop_length)[:, :n_frames]
    return frames.reshape(*lead, n_frames, win_length)


def overlap_add(frames: Tensor, hop_length: int) -> Tensor:
    """frames: (N, F, win) -> (N, (F - 1) * hop + win), the sum of the frames placed every hop samples."""
    _, n_frames, win = frames.shape
    out_len = (n_frames - 1) * hop_length + win
    return F.fold(frames.transpose(1, 2), output_size=(1, out_len), kernel_size=(1, win), stride=(1, hop_length))[
        :, 0, 0
    ]


def pad_signal(x: Tensor, left: int, right: int, pad_mode: str) -> Tensor:
    """x: (N, 1, T) -> (N, 1, left + T + right). pad_mode: 'reflect' (short inputs are zero-extended and
    then reflected, DAC/EnCodec's pad1d), 'constant' (zeros) or 'reflect_or_zeros' (reflect when the
    signal is longer than both pads, else zeros: the codec encoders' rule, which keeps one-frame clips defined).
    """
    if pad_mode not in PAD_MODES:
        raise ValueError(f"pad_mode={pad_mode!r}: choose one of {PAD_MODES}")
    if pad_mode == "reflect_or_zeros":
        pad_mode = "reflect" if max(left, right) < x.shape[-1] else "constant"
    return pad1d(x, (left, right), pad_mode)


def stft_padding(length: int, n_fft: int, hop_length: int, padding: str) -> tuple[int, int, int]:
    """-> (hop_fill, left, right): zeros appended to reach a hop multiple, then the pads of each framing."""
    if padding not in FRAMINGS:
        raise ValueError(f"stft padding={padding!r}: choose one of {FRAMINGS}")
    if padding == "center_full":
        return 0, n_fft // 2, n_fft // 2
    if padding == "none":
        return 0, 0, max(0, n_fft - length)
    fill = (-length) % hop_length
    if padding == "same":
        side = (n_fft - hop_length) // 2
        return fill, side, side
    return fill, n_fft // 2, n_fft // 2 - hop_length  # center: torch.stft(center=True) minus its last frame


def stft(
    x: Tensor,
    n_fft: int,
    hop_length: int,
    window: Tensor,
    padding: str = "same",
    pad_mode: str = "reflect_or_zeros",
    normalized: bool = False,
) -> Tensor:
    """The one STFT front end. x: (..., T) -> complex spectrum (..., n_fft // 2 + 1, F).

    padding (framing) and F:
    - 'same': zero-fill T to a hop multiple, pad (n_fft - hop) / 2 per side: F = ceil(T / hop), frame f
      centred at f * hop + hop / 2 (codec encoders, DAC/UnivNet discriminators);
    - 'center': zero-fill T to a hop multiple, torch.stft(center=True) minus its last frame: F = ceil(T / hop),
      frame f centred at f * hop (codec encoders, matching the ISTFT head);
    - 'center_full': torch.stft(center=True): F = T // hop + 1 (reconstruction losses, BigCodec's MS-STFT);
    - 'none': no padding (EnCodec's MS-STFT), inputs shorter than n_fft zero-filled: F = 1 + (T - n_fft) // hop.
    pad_mode: see `pad_signal` ('none' always pads zeros). window: (win_length,), win_length <= n_fft,
    centred in the n_fft frame as torch.stft does. normalized: divide by sqrt(sum(window^2)) (torchaudio's
    `normalized=True`).
    """
    lead, length = x.shape[:-1], x.shape[-1]
    fill, left, right = stft_padding(length, n_fft, hop_length, padding)
    x = x.reshape(-1, 1, length)
    if fill or padding == "none":
        x = F.pad(x, (0, fill + right if padding == "none" else fill))
    if padding != "none":
        x = pad_signal(x, left, right, pad_mode)
    spec = torch.stft(x[:, 0], n_fft, hop_length, window.numel(), window=window, center=False, return_complex=True)
    if normalized:
        spec = spec / window.pow(2).sum().sqrt()
    return spec.reshape(*lead, *spec.shape[-2:])


class ISTFT(nn.Module):
    """Windowed inverse STFT with least-squares (window^2 envelope) normalisation.

    Written by hand (not torch.istft) because torch's NOLA check rejects 'same' padding at the edges, which
    is harmless here since those edge samples are cropped. spec: complex (N, n_fft // 2 + 1, F) -> (N, F * hop).
    """

    def __init__(self, n_fft: int, hop_length: int, padding: str = "same") -> None:
        super().__init__()
        check_padding(padding, n_fft, hop_length, "ISTFT")
        self.n_fft, self.hop_length, self.padding = n_fft, hop_length, padding
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def forward(self, spec: Tensor) -> Tensor:
        if spec.dim() != 3 or spec.shape[1] != self.n_fft // 2 + 1:
            raise ValueError(f"ISTFT expects (N, {self.n_fft // 2 + 1}, F) complex; got {tuple(spec.shape)}")
        n_frames = spec.shape[-1]
        frames = torch.fft.irfft(spec.transpose(1, 2), n=self.n_fft, dim=-1) * self.window
        y = overlap_add(frames, self.hop_length)
        env = overlap_add(self.window.square().expand(1, n_frames, -1), self.hop_length)
        start = left_padding(self.padding, self.n_fft, self.hop_length)
        end = start + n_frames * self.hop_length
        # the envelope only vanishes outside the kept span (check_padding guarantees it), 1e-11 as in Vocos
        return y[:, start:end] / env[:, start:end].clamp_min(1e-11)


def hz_to_mel(f):
    """HTK mel scale (torchaudio's default, used by Vocos): 2595 log10(1 + f / 700). float or Tensor."""
    return 2595.0 * (torch.log10(1.0 + f / 700.0) if isinstance(f, Tensor) else math.log10(1.0 + f / 700.0))


def mel_to_hz(m: Tensor) -> Tensor:
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def mel_filterbank(
    sample_rate: int,
    n_fft: int,
    n_mels: int,
    f_min: float = 0.0,
    f_max: float | None = None,
    mel_scale: str = "htk",
    norm: str | None = None,
) -> Tensor:
    """(n_mels, n_fft // 2 + 1) triangular mel filters, librosa.filters.mel computed in float64.

    mel_scale='htk', norm=None: torchaudio's MelScale defaults (Vocos, EnCodec's loss, the mel encoder);
    mel_scale='slaney', norm='slaney': librosa's defaults (DAC's mel loss). f_max None = sample_rate / 2.
    """
    import librosa  # only the builders need it

    if mel_scale not in ("htk", "slaney"):
        raise ValueError(f"mel_scale={mel_scale!r}: choose 'htk' or 'slaney'")
    fb = librosa.filters.mel(
        sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=f_min, fmax=f_max, htk=mel_scale == "htk", norm=norm
    )
    return torch.from_numpy(fb).float()


class MelSpectrogram(nn.Module):
    """filterbank @ |stft(x)|^power, built once. x: (..., T) -> (..., n_mels, F), F as `stft`'s padding.

    normalized divides the STFT by sqrt(sum(window^2)) and is folded into the filterbank at build time
    (for power 2: torchaudio's normalized=True, EnCodec's loss). Buffers are not saved (fixed by the config).
    """

    def __init__(
        self,
        sample_rate: int,
        n_fft: int,
        n_mels: int,
        hop_length: int | None = None,
        f_min: float = 0.0,
        f_max: float | None = None,
        mel_scale: str = "slaney",
        norm: str | None = "slaney",
        power: float = 1.0,
        padding: str = "center_full",
        pad_mode: str = "reflect",
        normalized: bool = False,
    ) -> None:
        super().__init__()
        self.n_fft, self.hop_length = n_fft, hop_length or n_fft // 4
        self.power, self.padding, self.pad_mode = power, padding, pad_mode
        window = torch.hann_window(n_fft)
        fb = mel_filterbank(sample_rate, n_fft, n_mels, f_min, f_max, mel_scale, norm)
        if normalized:
            fb = fb / window.pow(2).sum().pow(power / 2)
        self.register_buffer("filterbank", fb, persistent=False)
        self.register_buffer("window", window, persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        spec = stft(x, self.n_fft, self.hop_length, self.window, self.padding, self.pad_mode)
        return self.filterbank @ spec.abs().pow(self.power)


def log_mel(mag: Tensor, filterbank: Tensor, floor: float) -> Tensor:
    """mag: (B, C, K, F) STFT magnitudes, filterbank: (n_mels, K) -> log(max(mel, floor)) (B, C * n_mels, F)."""
    mel = torch.einsum("mk,bckf->bcmf", filterbank, mag)
    return mel.clamp_min(floor).log().flatten(1, 2)


def _mdct_window(frame_len: int, device=None) -> Tensor:
    """Sine window sin(pi (n + 1/2) / 2N): satisfies Princen-Bradley w[n]^2 + w[n + N]^2 = 1 (TDAC)."""
    n = torch.arange(frame_len, device=device, dtype=torch.float64)
    return torch.sin(math.pi * (n + 0.5) / frame_len).float()


def _mdct_basis(frame_len: int) -> Tensor:
    """(N, 2N) orthonormal-scaled MDCT basis sqrt(2/N) cos(pi/N (n + 1/2 + N/2)(k + 1/2))."""
    half = frame_len // 2
    n = torch.arange(frame_len, dtype=torch.float64)
    k = torch.arange(half, dtype=torch.float64)
    basis = torch.cos(math.pi / half * (n[None, :] + 0.5 + half / 2) * (k[:, None] + 0.5))
    return (basis * math.sqrt(2.0 / half)).float()


class _MDCTBase(nn.Module):
    """Sine window and (N, 2N) basis shared by MDCT and IMDCT; hop = frame_len / 2 = N."""

    def __init__(self, frame_len: int, padding: str = "same") -> None:
        super().__init__()
        name = type(self).__name__
        if frame_len % 4:
            raise ValueError(
                f"{name}: frame_len={frame_len} must be a multiple of 4, i.e. an even "
                f"hop_length (= frame_len / 2 = {frame_len / 2})"
            )
        check_padding(padding, frame_len, frame_len // 2, name)
        self.frame_len, self.hop_length, self.padding = frame_len, frame_len // 2, padding
        self.register_buffer("window", _mdct_window(frame_len), persistent=False)
        self.register_buffer("basis", _mdct_basis(frame_len), persistent=False)


class MDCT(_MDCTBase):
    """Windowed MDCT, hop = frame_len / 2. audio (N, T = F * hop) -> coefficients (N, F, frame_len / 2)."""

    def forward(self, audio: Tensor) -> Tensor:
        frames = frame_signal(audio, self.frame_len, self.hop_length, self.padding, pad_mode="constant")
        return (frames * self.window) @ self.basis.T


class IMDCT(_MDCTBase):
    """Inverse of MDCT: windowed IMDCT + overlap-add, aliasing cancels between neighbours (TDAC).

    coeffs: (N, F, frame_len / 2) -> audio (N, F * hop), hop = frame_len / 2. Each sample needs two frames
    for its aliasing to cancel, so reconstruction is exact on the interior only: with padding='same' the
    first and last hop / 2 samples lack a partner frame, with 'center' the last hop does (it would be
    frame F). The generator learns those edges; the training crops make them a small fraction.
    A dense basis matmul is used rather than an FFT: exact, and fast at vocoder frame sizes.
    """

    def forward(self, coeffs: Tensor) -> Tensor:
        if coeffs.dim() != 3 or coeffs.shape[-1] != self.hop_length:
            raise ValueError(f"IMDCT expects (N, F, {self.hop_length}); got {tuple(coeffs.shape)}")
        frames = (coeffs @ self.basis) * self.window
        y = overlap_add(frames, self.hop_length)
        start = left_padding(self.padding, self.frame_len, self.hop_length)
        return y[:, start : start + coeffs.shape[1] * self.hop_length]


class FrameProjection(nn.Module):
    """The learned part of a spectral head: Linear(in_dim, channels * per_channel) applied per frame.

    h: (B, in_dim, F) -> (B * channels, F, per_channel); `fold_channels` maps (B * C, T) back to (B, C, T).
    """

    def __init__(self, in_dim: int, channels: int, per_channel: int) -> None:
        super().__init__()
        if channels < 1:
            raise ValueError(f"head.channels={channels}: need at least one audio channel")
        self.in_dim, self.channels, self.per_channel = in_dim, channels, per_channel
        self.out = nn.Linear(in_dim, channels * per_channel)

    def forward(self, h: Tensor) -> Tensor:
        if h.dim() != 3 or h.shape[1] != self.in_dim:
            raise ValueError(f"head expects (B, {self.in_dim}, F) (head.in_dim); got {tuple(h.shape)}")
        b, _, n_frames = h.shape
        y = self.out(h.transpose(1, 2)).reshape(b, n_frames, self.channels, self.per_channel)
        return y.transpose(1, 2).reshape(b * self.channels, n_frames, self.per_channel)

    def fold_channels(self, wav: Tensor) -> Tensor:
        return wav.reshape(-1, self.channels, wav.shape[-1])
