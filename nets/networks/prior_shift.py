"""Class-prior shift of a trained classifier (Saerens, Latinne & Decaestecker 2002).

A network trained with class prior pi answers p(c|x) under pi. Under another prior pi' the Bayes posterior is
p'(c|x) ∝ p(c|x) · pi'(c) / pi(c), i.e. softmax(logits + log(pi' / pi)). `python -m nets.calibrate` adds these
offsets to the last linear layer's bias in the weights file itself, so whoever loads the file (page, CLI, evaluation,
LRP, or a script of one's own that builds the architecture from the card) gets the same operating point. The card
records the prior (``decision_prior``) and the sha256 of the file as training wrote it.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import torch
from torch import nn


def parse_prior(spec: str, classes) -> dict:
    """'CN=2/3' -> CN 2/3, the other classes share the rest equally; 'CN=0.5,AD=0.2' likewise; 'uniform' -> 1/K
    each. Returns {class: probability} summing to 1."""
    classes = list(classes)
    if spec.strip().lower() == "uniform":
        return {c: 1 / len(classes) for c in classes}
    given = {}
    for part in spec.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in classes:
            raise ValueError(f"unknown class '{name}' in prior '{spec}' (classes: {', '.join(classes)})")
        try:
            given[name] = float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"'{value}' is not a probability (write 0.5 or 2/3)") from None
    rest = [c for c in classes if c not in given]
    left = 1 - sum(given.values())
    if any(not 0 < p < 1 for p in given.values()) or left < -1e-9 or (rest and left <= 0) or (not rest and abs(left) > 1e-6):
        raise ValueError(f"prior '{spec}' does not give every class a probability in (0, 1) summing to 1")
    return {c: given[c] if c in given else left / len(rest) for c in classes}


def logit_offsets(classes, prior: dict, training_prior: dict | None = None) -> np.ndarray:
    """log(prior / training prior) per class, in `classes` order (training prior: uniform unless given)."""
    classes = list(classes)
    train = training_prior or {c: 1 / len(classes) for c in classes}
    return np.log(np.array([prior[c] for c in classes]) / np.array([train[c] for c in classes]))


def last_linear(module: nn.Module) -> nn.Linear:
    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    if not linears or linears[-1].bias is None:
        raise ValueError(f"{type(module).__name__} has no final linear layer with a bias to shift")
    return linears[-1]


def apply_prior_shift(module: nn.Module, offsets) -> None:
    """Add `offsets` to the output bias in place (the model then answers under the new prior)."""
    layer = last_linear(module)
    off = torch.as_tensor(np.asarray(offsets), dtype=layer.bias.dtype)
    if off.shape != layer.bias.shape:
        raise ValueError(f"{off.numel()} offsets for {layer.bias.numel()} outputs")
    with torch.no_grad():
        layer.bias.add_(off)


def card_offsets(card: dict, classes) -> np.ndarray | None:
    """The logit offsets a model card's ``decision_prior`` says are in its weights, or None."""
    dp = card.get("decision_prior")
    if not dp:
        return None
    return logit_offsets(classes, dp["prior"], dp.get("training_prior"))


class OffsetLogits(nn.Module):
    """A network whose logits get fixed offsets added (an answer's per-input term, e.g. the stated age's), for
    checks that must score the same P(class) as the answer."""

    def __init__(self, module: nn.Module, offsets):
        super().__init__()
        self.module = module
        self.register_buffer("offsets", torch.as_tensor(np.asarray(offsets), dtype=torch.float32))

    def forward(self, x):
        return self.module(x) + self.offsets
