"""Validation's spectrogram image comes from the one STFT front end and equals its former definition
(|torch.stft(center=True)| in dB, n_fft 512, or 64 for clips under 512 samples)."""

import numpy as np
import pytest
import torch

from src.training.validation import spectrogram_figure


@pytest.mark.parametrize("length", [400, 4000])
def test_spectrogram_image_equals_torch_stft_db(length):
    rng = np.random.default_rng(0)
    ref, est = rng.standard_normal((2, length)).astype(np.float32), rng.standard_normal((2, length))
    fig = spectrogram_figure(ref, est, 16000, "t")
    for ax, wav in zip(fig.axes, (ref, est)):
        x = torch.from_numpy(np.asarray(wav, dtype=np.float32).mean(0))
        n_fft = 512 if length >= 512 else 64
        spec = torch.stft(x, n_fft, n_fft // 4, window=torch.hann_window(n_fft), return_complex=True).abs()
        db = 20 * torch.log10(spec.clamp_min(1e-5))
        assert np.allclose(np.asarray(ax.images[0].get_array()), db.numpy(), atol=1e-4)
