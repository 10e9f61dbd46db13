"""The train-log window: values summed over the steps since the last log, averaged over the steps and the
processes when logged (collective), with throughput and learning rates."""

from __future__ import annotations

import time

import torch


def accumulate(into: dict, values: dict, n: int) -> None:
    """into[k] += mean(values[k]) / n for every k (detached float tensors)."""
    for k, v in values.items():
        v = torch.as_tensor(v).detach().float().mean() / n
        into[k] = into[k] + v if k in into else v


class StepLog:
    """acc: the Accelerator; audio_seconds_per_step: seconds of audio one process trains on per step."""

    def __init__(self, acc, audio_seconds_per_step: float) -> None:
        self.acc, self.audio_seconds_per_step = acc, float(audio_seconds_per_step)
        self._reset()

    def _reset(self) -> None:
        self.window: dict[str, torch.Tensor] = {}
        self.steps, self.start = 0, time.perf_counter()

    def add(self, logs: dict) -> None:
        """One finished (not skipped) step's logs."""
        accumulate(self.window, logs, 1)
        self.steps += 1

    def flush(self, logger, step: int, extra: dict, bar=None) -> dict:
        """Log the window's means (over steps and processes) + throughput + `extra` (learning rates, counters)
        at `step`, then start a new window. Every process must call it (the mean is a collective)."""
        names = sorted(self.window)
        values = {}
        if names:
            stacked = torch.stack([self.window[k].to(self.acc.device) for k in names]) / max(self.steps, 1)
            values = dict(zip(names, self.acc.reduce(stacked, reduction="mean").tolist()))
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        values["steps_per_s"] = self.steps / elapsed
        values["audio_s_per_s"] = values["steps_per_s"] * self.audio_seconds_per_step * self.acc.num_processes
        values.update(extra)
        logger.log(step, "train", values)
        if bar is not None and "loss/total" in values:
            bar.set_postfix(loss=f"{values['loss/total']:.3f}", steps_s=f"{values['steps_per_s']:.2f}")
        self._reset()
        return values
