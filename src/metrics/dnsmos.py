"""DNSMOS P.835 (Reddy et al., ICASSP 2022): non-intrusive MOS of the decoded audio, via `speechmos`'s ONNX models."""

from __future__ import annotations

import os

import numpy as np

from src.metrics.base import Metric, check_pair, optional_import, resample

RATE = 16000  # the DNSMOS models take 16 kHz input
MIN_SECONDS = 1.0  # shorter clips are tiled up to 9.01 s by the model wrapper; below 1 s that is mostly copies


class DNSMOS(Metric):
    """DNSMOS OVRL (overall quality, 1..5) of `est` alone; `ref` only gates the failure checks.

    Decoded audio is mixed to mono, resampled to 16 kHz and clipped to [-1, 1] (the models' input range).
    """

    name = "dnsmos"
    higher_is_better = True
    unit = "MOS"  # P.835 1..5
    label = "DNSMOS"
    worst = 1.0  # the bottom of the P.835 1..5 scale

    def __init__(self, personalized: bool = False) -> None:
        self.personalized = bool(personalized)
        self._model = None

    def _load(self):
        if self._model is None:
            dnsmos = optional_import("speechmos.dnsmos", "speechmos onnxruntime")
            ort = optional_import("onnxruntime", "onnxruntime")
            root = os.path.dirname(dnsmos.__file__)
            primary = os.path.join(root, "pdnsmos_models" if self.personalized else "dnsmos_models", "sig_bak_ovr.onnx")
            p808 = os.path.join(root, "dnsmos_models", "model_v8.onnx")
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = opts.inter_op_num_threads = 1  # the suite parallelises over items
            model = dnsmos.DNSMOS.__new__(dnsmos.DNSMOS)  # its __init__ opens sessions on all cores
            model.primary_model_path = primary
            model.onnx_sess = ort.InferenceSession(primary, opts)
            model.p808_onnx_sess = ort.InferenceSession(p808, opts)
            self._model = model
        return self._model

    def __call__(self, ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
        _, est = check_pair(ref, est, sample_rate, min_seconds=MIN_SECONDS)
        audio = np.clip(resample(est.mean(axis=0), sample_rate, RATE), -1.0, 1.0)
        return float(self._load()(audio, RATE, self.personalized)["ovrl_mos"])
