"""Layer-wise Relevance Propagation for 2D and 3D CNNs, in plain torch (rules: nets/interpret/lrp_rules.py).

Rules (the "epsilon-plus" composite of Montavon et al. 2019 / zennit): z+ on convolutions, epsilon on linear,
pooling and branch-sum layers; ReLU and Dropout pass relevance through. BatchNorm is folded into the convolutions
first, residual sums become modules (canonizers). On the MRI model's held-out simulated atrophy z+ concentrates
relevance in the changed tissue better than epsilon everywhere and keeps the relevance sum nearer the logit, where
epsilon lets the folded BatchNorm biases absorb much of it (numbers: README; `python -m nets.evaluate mri
--lrp-rule epsilon` for the comparison). `rule="epsilon"` gives epsilon everywhere.
The explained quantity is the target class's logit; `conservation` reports sum(relevance) / logit.

The maps equal captum's LRP with the same rules to float rounding (tests/test_lrp.py, when captum is installed);
this module replaced it to save captum's import (0.3-0.45 s of a cold start) and one of its two forward passes.
Each explainer owns its folded copy and a lock (the hooks live on that copy while it runs).
"""
from __future__ import annotations

import threading

import torch
from torch import nn

from nets.interpret.attribution import Attribution, Explainer
from nets.interpret.bn_folding import fold_batchnorm
from nets.interpret.lrp_rules import EpsilonRule, ZPlusRule, relevance
from nets.interpret.residual_canonizer import StackSum, canonize_residuals

RULES = ("epsilon-plus", "epsilon")
_CONVS = (nn.Conv3d, nn.Conv2d)
_EPSILON_LAYERS = (nn.Linear, nn.MaxPool3d, nn.MaxPool2d, nn.AdaptiveAvgPool3d, nn.AvgPool3d, nn.AdaptiveAvgPool2d,
                   nn.AvgPool2d, StackSum)


def composite(model: nn.Module, rule: str, epsilon: float) -> dict:
    """module -> Rule for every layer that gets one (one rule object per layer: z+ keeps its clamped weights)."""
    rules = {}
    for m in model.modules():
        if isinstance(m, _CONVS):
            rules[m] = ZPlusRule() if rule == "epsilon-plus" else EpsilonRule(epsilon)
        elif isinstance(m, _EPSILON_LAYERS):
            rules[m] = EpsilonRule(epsilon)
    return rules


class LRPExplainer:
    def __init__(self, model: nn.Module, epsilon: float = 1e-6, rule: str = "epsilon-plus"):
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}")
        self.model = canonize_residuals(fold_batchnorm(model))
        for p in self.model.parameters():
            p.requires_grad_(False)  # relevance is taken with respect to the input only
        self.epsilon = epsilon
        self.rule = rule
        self._rules = composite(self.model, rule, epsilon)
        self._lock = threading.Lock()

    def explain(self, x: torch.Tensor, target: int):
        """Return (relevance with x's shape, logits, conservation ratio)."""
        with self._lock:
            rel, logits = relevance(self.model, x, int(target), self._rules.get)
        logit = float(logits[0, target])
        ratio = float(rel.sum()) / logit if abs(logit) > 1e-9 else float("nan")
        return rel, logits, ratio


class LRPAttributor(Explainer):
    """LRP behind the common interface (nets/interpret/attribution.py): signed relevance summed over channels.

    Residual additions (SmallResNet2D's `y + shortcut(x)`) become `StackSum` modules with the epsilon rule, which
    splits the relevance in proportion to each branch's share of the sum (the z-rule for the addition, as zennit's
    residual canonizers do). Conservation holds approximately; it is reported as `conservation` (sum / logit)."""
    method = "lrp"
    signed = True

    def __init__(self, model: nn.Module, rule: str = "epsilon-plus"):
        self._lrp = LRPExplainer(model, rule=rule)

    def explain(self, x: torch.Tensor, target: int) -> Attribution:
        rel, logits, ratio = self._lrp.explain(x, int(target))
        return Attribution(rel[0].sum(0).numpy(), int(target), self.method, True,
                           {"rule": self._lrp.rule, "conservation": round(ratio, 4),
                            "logit": round(float(logits[0, int(target)]), 4)})
