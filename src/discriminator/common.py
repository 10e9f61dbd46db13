"""Shared parts of the GAN discriminators (HiFi-GAN, UnivNet, EnCodec, DAC): the conv stacks, the bandwidth
projection of WavTokenizer, STFT front-ends and the container that turns sub-discriminators into one
DiscriminatorOutput.

Stereo convention: every discriminator takes the audio channels as input channels (channels-as-input,
as EnCodec's MS-STFT does), so a stereo discriminator judges the stereo image, not two mono signals.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from src.discriminator.base import Discriminator
from src.nn.conv import conv2d
from src.nn.spectral import stft
from src.types import DiscriminatorOutput


class ConvStack(nn.Module):
    """Convs, each followed by LeakyReLU. x -> (h, fmaps) where fmaps are the activations of every conv."""

    def __init__(self, convs: Sequence[nn.Module], negative_slope: float) -> None:
        super().__init__()
        self.convs = nn.ModuleList(convs)
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        fmaps = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), self.negative_slope)
            fmaps.append(x)
        return x, fmaps


def spectral_convs(
    in_ch: int,
    filters: int,
    max_filters: int,
    filters_scale: int,
    kernel_size,
    stride,
    dilations: Sequence[int],
    first_kernel_size=None,
    first_stride=1,
    last_kernel_size=(3, 3),
    norm: str = "weight_norm",
) -> tuple[list[nn.Module], int]:
    """The 2-D conv body shared by UnivNet's MRD, EnCodec's MS-STFT, BigCodec's and DAC's band stacks.

    first conv (in_ch -> filters), one strided conv per entry of `dilations` (dilation on the first axis;
    width filters * filters_scale**(i+1), capped at max_filters), a last conv growing once more.
    Returns (convs, out_channels).
    """
    convs = [conv2d(in_ch, filters, first_kernel_size or kernel_size, first_stride, norm=norm)]
    in_w = filters
    for i, dilation in enumerate(dilations):
        width = min(filters * filters_scale ** (i + 1), max_filters)
        convs.append(conv2d(in_w, width, kernel_size, stride, (int(dilation), 1), norm=norm))
        in_w = width
    width = min(filters * filters_scale ** (len(dilations) + 1), max_filters)
    convs.append(conv2d(in_w, width, last_kernel_size, norm=norm))
    return convs, width


class SpectrogramDiscriminator(nn.Module):
    """Spectrogram front-end + 2-D conv body (`spectral_convs`) + conditioned output conv.

    wav (B, C, T) -> spec (B, C', frames, bins), transposed to (B, C', bins, frames) when `freq_first`
    (UnivNet's layout) -> logits (B, 1, ...), fmaps: every conv's activation (len(dilations) + 2 maps).
    body: keyword arguments of `spectral_convs` except in_ch.
    """

    def __init__(
        self,
        spectrogram: Spectrogram,
        in_ch: int,
        negative_slope: float,
        num_bandwidths: int | None,
        freq_first: bool = False,
        **body,
    ) -> None:
        super().__init__()
        self.spectrogram, self.freq_first = spectrogram, freq_first
        convs, width = spectral_convs(in_ch, **body)
        self.stack = ConvStack(convs, negative_slope)
        last = body.get("last_kernel_size", (3, 3))
        norm = body.get("norm", "weight_norm")
        self.post = ConditionedPost(conv2d(width, 1, last, norm=norm), width, num_bandwidths)

    def forward(self, wav: Tensor, bandwidth_id: Tensor | None = None) -> tuple[Tensor, list[Tensor]]:
        spec = self.spectrogram(wav)
        h, fmaps = self.stack(spec.transpose(-1, -2) if self.freq_first else spec)
        return self.post(h, bandwidth_id), fmaps


def _fit(x: Tensor, size: Sequence[int]) -> Tensor:
    """Crop or zero-pad the trailing dims of x to `size` (the projection meets a logit of another size
    only when the output conv does not keep the length, e.g. BigCodec's kernel-2 MPD output)."""
    for dim, n in enumerate(size, start=x.dim() - len(size)):
        have = x.shape[dim]
        if have > n:
            x = x.narrow(dim, 0, n)
        elif have < n:
            pad = [0, 0] * (x.dim() - dim - 1) + [0, n - have]
            x = F.pad(x, pad)
    return x


class ConditionedPost(nn.Module):
    """Output conv -> logits, plus <embedding(bandwidth_id), h> summed over channels (projection
    discriminator, as in WavTokenizer/Vocos). The embedding starts at zero so conditioning is learned.

    h: (B, dim, ...) -> logits (B, 1, ...).
    """

    def __init__(self, conv: nn.Module, dim: int, num_bandwidths: int | None) -> None:
        super().__init__()
        self.conv = conv
        self.embedding = nn.Embedding(num_bandwidths, dim) if num_bandwidths else None
        if self.embedding is not None:
            nn.init.zeros_(self.embedding.weight)

    def forward(self, h: Tensor, bandwidth_id: Tensor | None = None) -> Tensor:
        logits = self.conv(h)
        if self.embedding is None or bandwidth_id is None:
            return logits
        emb = self.embedding(bandwidth_id).view(h.shape[0], h.shape[1], *([1] * (h.dim() - 2)))
        projection = (emb * h).sum(dim=1, keepdim=True)
        return logits + _fit(projection, logits.shape[2:])


PADDINGS = ("same", "center", "none")
# config name -> framing of the one STFT front end (src.nn.spectral.stft): the discriminators' 'center'
# keeps torch.stft's last frame, which the codec's 'center' drops
FRAMING = {"same": "same", "center": "center_full", "none": "none"}


class Spectrogram(nn.Module):
    """STFT front-end (src.nn.spectral.stft). wav (B, C, T) -> (B, C', frames, bins) with C' = 2C for
    'complex' (real parts of every channel, then imaginary parts, as EnCodec) or C for 'magnitude'.

    padding: 'same' reflect-pads (n_fft - hop) / 2 per side after right-padding T to a multiple of hop,
      so frames = ceil(T / hop) (DAC, UnivNet); 'center' is torch.stft(center=True) (BigCodec);
      'none' uses no padding (EnCodec), zero-padding only inputs shorter than n_fft.
    normalized: divide by sqrt(sum(window^2)) (torchaudio's `normalized=True`, EnCodec).
    window: 'hann' or 'rect' (UnivNet's code passes no window, i.e. rectangular).
    """

    def __init__(
        self,
        n_fft: int,
        hop_length: int,
        win_length: int | None = None,
        window: str = "hann",
        representation: str = "complex",
        padding: str = "same",
        normalized: bool = False,
        eps: float = 1e-7,
    ) -> None:
        super().__init__()
        if representation not in ("complex", "magnitude"):
            raise ValueError(f"representation={representation!r}: choose 'complex' or 'magnitude'")
        if padding not in PADDINGS:
            raise ValueError(f"stft padding={padding!r}: choose one of {PADDINGS}")
        if window not in ("hann", "rect"):
            raise ValueError(f"window={window!r}: choose 'hann' or 'rect'")
        self.n_fft, self.hop_length = int(n_fft), int(hop_length)
        self.win_length = int(win_length or n_fft)
        self.representation, self.padding, self.normalized, self.eps = (
            representation,
            padding,
            normalized,
            eps,
        )
        win = torch.hann_window(self.win_length) if window == "hann" else torch.ones(self.win_length)
        self.register_buffer("window", win, persistent=False)

    def forward(self, wav: Tensor) -> Tensor:
        b, c, _ = wav.shape
        spec = stft(
            wav.reshape(b * c, -1).float(),
            self.n_fft,
            self.hop_length,
            self.window,
            FRAMING[self.padding],
            pad_mode="reflect",
            normalized=self.normalized,
        )
        bins, frames = spec.shape[-2:]
        spec = spec.transpose(-1, -2).reshape(b, c, frames, bins)
        if self.representation == "magnitude":
            return (spec.real.pow(2) + spec.imag.pow(2)).clamp_min(self.eps).sqrt()
        return torch.cat([spec.real, spec.imag], dim=1)


def peak_normalize(wav: Tensor) -> Tensor:
    """DAC's discriminator preprocessing: remove DC per channel, scale each item's peak to 0.8.

    One peak over all channels (DAC is mono) so that stereo keeps its left/right balance."""
    wav = wav - wav.mean(dim=-1, keepdim=True)
    return 0.8 * wav / (wav.abs().amax(dim=(1, 2), keepdim=True) + 1e-9)


class MultiDiscriminator(Discriminator):
    """A set of sub-discriminators, each forward(wav, bandwidth_id) -> (logits, fmaps).

    forward(wav (B, C, T), bandwidth_id (B,) long | None) -> DiscriminatorOutput with one logits tensor
    and one feature-map list per sub-discriminator. Feature maps exclude the logits (DAC's convention).
    """

    def __init__(
        self,
        discriminators: Sequence[nn.Module],
        channels: int,
        num_bandwidths: int | None = None,
        peak_normalize: bool = False,
    ) -> None:
        super().__init__()
        self.discriminators = nn.ModuleList(discriminators)
        self.channels, self.num_bandwidths = int(channels), num_bandwidths
        self.peak_normalize = peak_normalize

    def _check(self, wav: Tensor, bandwidth_id: Tensor | None) -> None:
        name = type(self).__name__
        if wav.dim() != 3 or wav.shape[1] != self.channels:
            raise ValueError(
                f"{name} expects wav of shape (B, {self.channels}, T) (`channels` in its config); "
                f"got {tuple(wav.shape)}"
            )
        if bandwidth_id is None:
            return
        if not self.num_bandwidths:
            raise ValueError(
                f"{name} got a bandwidth_id but was built with num_bandwidths=null: set "
                "`discriminator.<name>.num_bandwidths` to condition it, or pass bandwidth_id=None"
            )
        if bandwidth_id.shape != (wav.shape[0],) or bandwidth_id.dtype != torch.long:
            raise ValueError(
                f"{name}: bandwidth_id must be a (B,) = ({wav.shape[0]},) LongTensor; got "
                f"{tuple(bandwidth_id.shape)} {bandwidth_id.dtype}"
            )
        if bandwidth_id.numel() and (bandwidth_id.min() < 0 or bandwidth_id.max() >= self.num_bandwidths):
            raise ValueError(f"{name}: bandwidth_id must lie in [0, num_bandwidths={self.num_bandwidths})")

    def forward(self, wav: Tensor, bandwidth_id: Tensor | None = None) -> DiscriminatorOutput:
        self._check(wav, bandwidth_id)
        if self.peak_normalize:
            wav = peak_normalize(wav)
        logits, fmaps = [], []
        for disc in self.discriminators:
            logit, fmap = disc(wav, bandwidth_id)
            logits.append(logit)
            fmaps.append(fmap)
        return DiscriminatorOutput(logits=logits, fmaps=fmaps)
