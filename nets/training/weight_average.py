"""Stochastic weight averaging (Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima and Better
Generalization"): the mean of the weights at the end of several epochs run at a constant learning rate, then the
BatchNorm statistics recomputed for the averaged weights (the running statistics of no single epoch fit them).
Costs nothing at inference: the averaged network has the same shape as each epoch's."""
from __future__ import annotations

import torch
from torch import nn


class WeightAverage:
    def __init__(self, state: dict | None = None, n: int = 0):
        self.state, self.n = state, n  # running mean of the floating-point tensors; epochs averaged

    def add(self, model: nn.Module) -> None:
        cur = {k: v.detach().clone() for k, v in model.state_dict().items() if v.is_floating_point()}
        if self.state is None:
            self.state = cur
        else:
            for k, v in cur.items():
                self.state[k] += (v - self.state[k]) / (self.n + 1)
        self.n += 1

    def to_checkpoint(self) -> dict:
        return {"state": self.state, "n": self.n}

    @classmethod
    def from_checkpoint(cls, ck: dict | None) -> "WeightAverage":
        return cls(**ck) if ck else cls()

    def apply(self, model: nn.Module, batches) -> None:
        """Load the averaged weights into `model`, then recompute its BatchNorm statistics from `batches` (an
        iterable of input tensors like the training ones): a cumulative average over all of them."""
        model.load_state_dict({**model.state_dict(), **self.state})
        bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        momenta = [bn.momentum for bn in bns]
        for bn in bns:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative moving average
        model.train()
        with torch.no_grad():
            for x in batches:
                model(x)
        for bn, momentum in zip(bns, momenta):
            bn.momentum = momentum
        model.eval()
