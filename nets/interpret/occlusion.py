"""Occlusion sensitivity for 3D models (MONAI's OcclusionSensitivity, with a reference volume instead of a constant):
each cube of the input in turn is replaced by the same cube of a reference (e.g. the mean of healthy training brains)
and the change of a score is recorded. Slower than LRP (one forward per cube) but it answers a different question:
which region, made typical, would change the answer."""
from __future__ import annotations

import numpy as np
import torch


class OcclusionSensitivity:
    def __init__(self, model: torch.nn.Module, window: int = 12, stride: int = 6, batch: int = 16):
        self.model, self.window, self.stride, self.batch = model.eval(), window, stride, batch

    def corners(self, shape):
        w, s = self.window, self.stride
        return [(i, j, k) for i in range(0, shape[0] - w + 1, s) for j in range(0, shape[1] - w + 1, s)
                for k in range(0, shape[2] - w + 1, s)]

    def __call__(self, x: np.ndarray, reference: np.ndarray, score) -> tuple:
        """x, reference: (D, H, W); score: logits (N, classes) -> (N,) numpy. Returns (score of x, list of
        (score change, corner) for every cube, largest increase first)."""
        w = self.window

        def run(vols):
            with torch.no_grad():
                return score(self.model(torch.from_numpy(np.stack(vols).astype(np.float32))[:, None]))

        base = float(run([x])[0])
        corners = self.corners(x.shape)
        changes = []
        for a in range(0, len(corners), self.batch):
            vols = []
            for i, j, k in corners[a:a + self.batch]:
                y = x.copy()
                y[i:i + w, j:j + w, k:k + w] = reference[i:i + w, j:j + w, k:k + w]
                vols.append(y)
            changes += [(float(v) - base, c) for v, c in zip(run(vols), corners[a:a + self.batch])]
        changes.sort(key=lambda t: -t[0])
        return base, changes


def cn_log_odds(logits: torch.Tensor) -> np.ndarray:
    """log P(CN) / P(not CN) for logits whose first class is CN."""
    return (logits[:, 0] - torch.logsumexp(logits[:, 1:], 1)).numpy()
