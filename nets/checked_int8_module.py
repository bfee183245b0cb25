"""CheckedInt8Module: the int8 forward, with close calls re-checked by the float model.

Static int8 moves the logits by a few hundredths; that changes an answer only when the top two classes are about
that close (the 26 skin validation answers plain int8 changed all had margins < 0.06). So a row whose top-two
margin is below `margin` is recomputed by the float export and keeps the float logits; the rest keep int8.
`margin` is chosen at export time on training images that calibration did not see (nets.onnx_export).
"""
from __future__ import annotations

import torch


class CheckedInt8Module:
    """Callable like the torch module on a (N, C, H, W) tensor; returns logits (torch tensor)."""

    def __init__(self, int8_forward, float_forward, margin: float):
        self.int8_forward = int8_forward
        self.float_forward = float_forward
        self.margin = float(margin)

    def close_calls(self, logits):
        """Boolean mask of the rows whose two highest logits differ by less than the margin."""
        if self.margin <= 0 or logits.shape[1] < 2:
            return torch.zeros(len(logits), dtype=torch.bool)
        top2 = logits.topk(2, dim=1).values
        return (top2[:, 0] - top2[:, 1]) < self.margin

    def __call__(self, x):
        z = self.int8_forward(x).clone()
        close = self.close_calls(z)
        if bool(close.any()):
            z[close] = self.float_forward(x[close]).to(z.dtype)
        return z
