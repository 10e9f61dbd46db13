"""Speaker similarity: cosine similarity of speaker embeddings (GE2E d-vectors, Wan et al. 2018, via Resemblyzer).

The embedder is pluggable: `resemblyzer` (weights ship in the wheel, default) or `wavlm`
(microsoft/wavlm-base-plus-sv style WavLMForXVector loaded from a LOCAL directory `model_path`;
needs `transformers`; nothing is downloaded).
"""

from __future__ import annotations

import numpy as np

from src.metrics.base import (
    CodecFailed,
    Excluded,
    Metric,
    MetricUnavailable,
    check_pair,
    optional_import,
    resample,
)

RATE = 16000  # both embedders are trained on 16 kHz speech


class ResemblyzerEmbedder:
    """wav (T,) at 16 kHz -> L2-normalised 256-d d-vector; volume-normalised and VAD-trimmed first."""

    def __init__(self) -> None:
        resemblyzer = optional_import("resemblyzer", "resemblyzer")
        self._mod = resemblyzer
        self._enc = resemblyzer.VoiceEncoder(device="cpu", verbose=False)

    def __call__(self, wav: np.ndarray) -> np.ndarray:
        wav = self._mod.preprocess_wav(wav.astype(np.float32), source_sr=None)
        if wav.size == 0:
            raise Excluded("no voiced audio for the speaker embedder")
        return self._enc.embed_utterance(wav)


class WavLMEmbedder:
    """wav (T,) at 16 kHz -> x-vector from a local WavLMForXVector checkpoint directory."""

    def __init__(self, model_path: str | None) -> None:
        if not model_path:
            raise MetricUnavailable("speaker_sim embedder=wavlm needs metrics.options.speaker_sim.model_path")
        transformers = optional_import("transformers", "transformers")
        self._fe = transformers.AutoFeatureExtractor.from_pretrained(model_path, local_files_only=True)
        self._model = transformers.WavLMForXVector.from_pretrained(model_path, local_files_only=True).eval()

    def __call__(self, wav: np.ndarray) -> np.ndarray:
        import torch

        inputs = self._fe(wav, sampling_rate=RATE, return_tensors="pt")
        with torch.no_grad():
            emb = self._model(**inputs).embeddings[0].numpy()
        return emb / max(np.linalg.norm(emb), 1e-12)


EMBEDDERS = {"resemblyzer": ResemblyzerEmbedder, "wavlm": WavLMEmbedder}


class SpeakerSimilarity(Metric):
    """cos(e(ref), e(est)) in [-1, 1] on 16 kHz audio (channels averaged first); 1.0 when identical."""

    name = "speaker_sim"
    higher_is_better = True
    unit = ""  # a cosine
    label = "speaker similarity"
    rank = 5
    worst = -1.0  # the floor of a cosine (Resemblyzer's non-negative d-vectors never go below 0)

    def __init__(self, embedder: str = "resemblyzer", model_path: str | None = None) -> None:
        if embedder not in EMBEDDERS:
            raise ValueError(f"speaker_sim embedder must be one of {sorted(EMBEDDERS)}; got {embedder!r}")
        self.embedder, self.model_path = embedder, model_path
        self._embed = None

    def _model(self):
        if self._embed is None:  # loaded lazily: once per worker process, not in the parent
            self._embed = ResemblyzerEmbedder() if self.embedder == "resemblyzer" else WavLMEmbedder(self.model_path)
        return self._embed

    def __call__(self, ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
        ref, est = check_pair(ref, est, sample_rate)
        ref, est = (resample(x.mean(axis=0), sample_rate, RATE) for x in (ref, est))
        embed = self._model()
        a = embed(ref)  # Excluded when the reference holds no voice
        try:
            b = embed(est)
        except Excluded as exc:  # the reference had a voice, the decoded signal has none: the codec lost it
            raise CodecFailed(f"{exc.reason} (decoded)") from None
        return float(np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))
