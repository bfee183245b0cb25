"""Layer-wise Relevance Propagation for 3D CNNs with captum (no torchvision needed, unlike zennit).

Rules (the "epsilon-plus" composite of Montavon et al. 2019 / zennit): z+ (captum's Alpha1_Beta0) on convolutions,
epsilon on linear and pooling layers (captum's defaults do not cover 3D layers, so they are assigned here); ReLU and
Dropout pass relevance through. BatchNorm is folded into the convolutions first. On the MRI model's held-out
simulated atrophy z+ concentrates relevance in the changed tissue better than epsilon everywhere and keeps the
relevance sum nearer the logit, where epsilon lets the folded BatchNorm biases absorb much of it (numbers: README;
`python -m nets.evaluate mri --lrp-rule epsilon` for the comparison). `rule="epsilon"` gives epsilon everywhere.
The explained quantity is the target class's logit; `conservation` reports sum(relevance) / logit.

captum's LRP keeps state on the layers while it runs, so each explainer owns its folded copy and a lock.
"""
from __future__ import annotations

import sys
import threading

import torch
from torch import nn


def _import_captum_without_ipython():
    """captum.attr imports IPython (0.3 s of a cold start) only for notebook display, which this app never uses:
    hide it while captum loads, unless the caller already has it (then it is free)."""
    hide = "IPython" not in sys.modules
    if hide:
        sys.modules["IPython"] = None  # makes `import IPython` raise ImportError, which captum handles
    try:
        import captum.attr  # noqa: F401
    finally:
        if hide and sys.modules.get("IPython", 0) is None:
            del sys.modules["IPython"]


_import_captum_without_ipython()
from captum.attr import LRP  # noqa: E402
from captum.attr._core import lrp as _captum_lrp  # noqa: E402
from captum.attr._utils.lrp_rules import Alpha1_Beta0_Rule, EpsilonRule  # noqa: E402

from nets.interpret.attribution import Attribution, Explainer
from nets.interpret.bn_folding import fold_batchnorm
from nets.interpret.residual_canonizer import StackSum, canonize_residuals

# folded BatchNorms become nn.Identity: let relevance pass through them like through ReLU
if nn.Identity not in _captum_lrp.SUPPORTED_NON_LINEAR_LAYERS:
    _captum_lrp.SUPPORTED_NON_LINEAR_LAYERS.append(nn.Identity)


RULES = ("epsilon-plus", "epsilon")


class LRPExplainer:
    def __init__(self, model: nn.Module, epsilon: float = 1e-6, rule: str = "epsilon-plus"):
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}")
        self.model = canonize_residuals(fold_batchnorm(model))
        self.epsilon = epsilon
        self.rule = rule
        self._lrp = LRP(self.model)
        self._lock = threading.Lock()

    def _attach_rules(self):
        for m in self.model.modules():
            if isinstance(m, (nn.Conv3d, nn.Conv2d)) and self.rule == "epsilon-plus":
                m.rule = Alpha1_Beta0_Rule()
            elif isinstance(m, (nn.Conv3d, nn.Conv2d, nn.Linear, nn.MaxPool3d, nn.MaxPool2d,
                                nn.AdaptiveAvgPool3d, nn.AvgPool3d, nn.AdaptiveAvgPool2d, nn.AvgPool2d,
                                StackSum)):
                m.rule = EpsilonRule(epsilon=self.epsilon)

    def explain(self, x: torch.Tensor, target: int):
        """Return (relevance with x's shape, logits, conservation ratio)."""
        with self._lock, torch.enable_grad():
            self._attach_rules()  # captum removes them after every call
            x = x.detach().clone().requires_grad_(True)
            rel = self._lrp.attribute(x, target=target)
            with torch.no_grad():
                logits = self.model(x)
        rel = rel.detach()
        logit = float(logits[0, target])
        ratio = float(rel.sum()) / logit if abs(logit) > 1e-9 else float("nan")
        return rel, logits.detach(), ratio


class LRPAttributor(Explainer):
    """LRP behind the common interface (nets/interpret/attribution.py): signed relevance summed over channels.

    Residual additions (SmallResNet2D's `y + shortcut(x)`) are plain tensor additions, not modules, so captum attaches
    no rule to them: the modified gradient reaching the sum flows unchanged into both branches, and each branch's
    rule then multiplies it by its own contribution, which splits the relevance in proportion to each branch's
    share of the sum (the z-rule for the addition, as zennit's residual canonizers do). Conservation holds
    approximately; it is reported as `conservation` (sum of relevance / logit)."""
    method = "lrp"
    signed = True

    def __init__(self, model: nn.Module, rule: str = "epsilon-plus"):
        self._lrp = LRPExplainer(model, rule=rule)

    def explain(self, x: torch.Tensor, target: int) -> Attribution:
        rel, logits, ratio = self._lrp.explain(x, int(target))
        return Attribution(rel[0].sum(0).numpy(), int(target), self.method, True,
                           {"rule": self._lrp.rule, "conservation": round(ratio, 4),
                            "logit": round(float(logits[0, int(target)]), 4)})
