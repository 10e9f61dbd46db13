"""Word error rate of the decoded audio's transcript, with the offline CMU PocketSphinx 5 English model.

No ground-truth text is assumed: the reference is the transcript of the *reference audio* by the
same recogniser, so the figure measures words lost or changed by the codec, not ASR accuracy.
WER = (substitutions + deletions + insertions) / words in the reference transcript (Levenshtein
alignment over lower-cased words).
"""

from __future__ import annotations

import numpy as np

from src.metrics.base import Excluded, Metric, check_pair, optional_import, resample

RATE = 16000  # the en-us acoustic model is trained on 16 kHz speech


def word_errors(ref_words: list[str], hyp_words: list[str]) -> int:
    """Levenshtein distance over words (substitution, deletion, insertion all cost 1)."""
    prev = list(range(len(hyp_words) + 1))
    for i, r in enumerate(ref_words, 1):
        cur = [i]
        for j, h in enumerate(hyp_words, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
        prev = cur
    return prev[-1]


class WER(Metric):
    """WER of transcribe(est) against transcribe(ref), in [0, inf) (0 = same words)."""

    name = "wer"
    higher_is_better = False
    unit = ""  # errors per reference word
    label = "WER"
    worst = 1.0  # what an empty transcript scores: every reference word deleted (insertions can exceed it)

    def __init__(self) -> None:
        self._decoder = None

    def transcribe(self, wav: np.ndarray) -> list[str]:
        """wav: (T,) float at 16 kHz -> lower-cased words."""
        if self._decoder is None:
            ps = optional_import("pocketsphinx", "pocketsphinx")
            self._decoder = ps.Decoder(
                samprate=RATE, loglevel="FATAL", cmn="batch"
            )  # batch CMN: no state carried between items
        pcm = (np.clip(wav, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        dec = self._decoder
        dec.start_utt()
        dec.process_raw(pcm, full_utt=True)
        dec.end_utt()
        hyp = dec.hyp()
        return hyp.hypstr.lower().split() if hyp is not None else []

    def __call__(self, ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
        ref, est = check_pair(ref, est, sample_rate)
        ref_words = self.transcribe(resample(ref.mean(axis=0), sample_rate, RATE))
        if not ref_words:
            raise Excluded("no words recognised in reference")
        hyp_words = self.transcribe(resample(est.mean(axis=0), sample_rate, RATE))
        return word_errors(ref_words, hyp_words) / len(ref_words)
