"""LRP rules in plain torch (one concept per module, as zennit): a rule says how a layer hands the relevance arriving
at its output down to its input,

    z = layer'(a)                      (layer' = the layer with the rule's weights; a = the layer's real input)
    R_in = a * d/da[ z . (R_out / (z + eps * sign(z))) ]     (sign(0) taken as +1)

- `EpsilonRule`: layer' = the layer itself (linear, pooling, branch sums);
- `ZPlusRule`: layer' uses only the positive weights, bias kept (z+, captum's Alpha1_Beta0 without zeroing bias).

`attach(model, rule_for)` hooks every leaf module that gets a rule: the forward values stay the model's own (ReLU
masks, logits), only the backward pass carries relevance instead of gradient. Modules without a rule (ReLU, Dropout,
Identity, Flatten) keep their gradient, which passes relevance unchanged where activations are positive and zero
where they are not (where R = a * ... is zero anyway). Same numbers as captum's LRP to float rounding
(tests/test_lrp.py), in one forward and one backward instead of captum's two forwards, and without its import.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from nets.networks.single_volume_batch import prefers_one

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


class Rule:
    """Base rule: `modified_forward(module, a)` is layer'; `eps` stabilises the division."""
    eps = 1e-9

    def weight(self, w: torch.Tensor) -> torch.Tensor:
        return w

    def modified_forward(self, module: nn.Module, a: torch.Tensor) -> torch.Tensor:
        if isinstance(module, _CONV):
            return module._conv_forward(a, self.weight(module.weight), module.bias)
        if isinstance(module, nn.Linear):
            return F.linear(a, self.weight(module.weight), module.bias)
        return module.forward(a)  # weightless layers (pooling, branch sums); .forward skips the hooks

    def relevance_in(self, module: nn.Module, a: torch.Tensor, relevance: torch.Tensor) -> torch.Tensor:
        if a.dim() == 5 and a.shape[0] == 2 and prefers_one(module) and not relevance[1].any():
            # single_volume_batch's dropped copy carries no relevance; this layer is faster on the volume alone
            r = self._relevance_in(module, a[:1], relevance[:1])
            return torch.cat([r, torch.zeros_like(r)])
        return self._relevance_in(module, a, relevance)

    def _relevance_in(self, module: nn.Module, a: torch.Tensor, relevance: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            a = a.detach().requires_grad_(True)
            z = self.modified_forward(module, a)
            sign = torch.where(z >= 0, 1.0, -1.0).to(z.dtype)  # sign(0) = +1, as captum
            s = (relevance / (z + sign * self.eps)).detach()
            (c,) = torch.autograd.grad((z * s).sum(), a)  # a scalar: autograd.grad with grad tensors imports sympy
        return a.detach() * c


class EpsilonRule(Rule):
    def __init__(self, epsilon: float = 1e-9):
        self.eps = epsilon


class ZPlusRule(Rule):
    _positive = (None, None)  # (key, clamped weights): made once per weights version, not once per backward

    def weight(self, w: torch.Tensor) -> torch.Tensor:
        key = (w.data_ptr(), w._version)
        if self._positive[0] != key:
            self._positive = (key, w.detach().clamp(min=0))
        return self._positive[1]


class _RelevancePass(torch.autograd.Function):
    """Forward: the layer's own output. Backward: the rule's relevance for the layer's input."""

    @staticmethod
    def forward(ctx, a, out, module, rule):
        ctx.save_for_backward(a)
        ctx.module, ctx.rule = module, rule
        return out.clone()

    @staticmethod
    def backward(ctx, relevance):
        (a,) = ctx.saved_tensors
        return ctx.rule.relevance_in(ctx.module, a, relevance), None, None, None


def attach(model: nn.Module, rule_for) -> list:
    """Hook every leaf module for which `rule_for(module)` returns a Rule; returns the handles (remove() them).
    A leaf with parameters and no rule is refused: its relevance would be a plain gradient."""
    handles = []
    for m in model.modules():
        if next(m.children(), None) is not None:
            continue
        rule = rule_for(m)
        if rule is None:
            if any(p.numel() for p in m.parameters(recurse=False)):
                for h in handles:
                    h.remove()
                raise TypeError(f"no LRP rule for the layer {type(m).__name__}, which has weights")
            continue

        def hook(module, inputs, output, rule=rule):
            return _RelevancePass.apply(inputs[0], output, module, rule)
        handles.append(m.register_forward_hook(hook))
    return handles


def relevance(model: nn.Module, x: torch.Tensor, target: int, rule_for) -> tuple:
    """(relevance with x's shape, logits): the target logit, handed down layer by layer with the rules."""
    handles = attach(model, rule_for)
    try:
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            logits = model(x)
            picked = logits[:, target]
            (rel,) = torch.autograd.grad((picked * picked.detach()).sum(), x)  # start: R = the target logit
    finally:
        for h in handles:
            h.remove()
    return rel.detach(), logits.detach()
