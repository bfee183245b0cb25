"""Make residual additions visible to LRP (a canonizer, as zennit's ResNetCanonizer).

LRP rules attach to modules only (nets/interpret/lrp_rules.py, as captum's did). A plain `y + shortcut(x)` is no module,
so the relevance arriving at the sum would reach BOTH branches in full (an addition's gradient copies it) and double
at every block:
on SmallResNet2D (5 blocks) the relevance summed to ~32x the logit. Here the sum becomes a `StackSum` module with the
epsilon rule, which splits the relevance between the branches in proportion to their contributions (z-rule), so
relevance is conserved through the block.

An identity shortcut becomes a 1x1 convolution with the identity matrix as weights (same output), so both paths out
of a block's input go through a rule (captum, used first, needed this: it multiplied the summed gradient at a
block's input by that input once; the own rules hand back relevance per layer and would also take a bare identity).
"""
import types

import torch
from torch import nn


class StackSum(nn.Module):
    """Sum over the first axis of a stacked tensor: one module input, so a rule can be put on it."""

    def forward(self, stacked: torch.Tensor) -> torch.Tensor:
        return stacked.sum(0)


def _block_forward(self, x):
    y = self.relu(self.bn1(self.conv1(x)))
    y = self.bn2(self.conv2(y))
    return self.relu(self.residual_sum(torch.stack([y, self.shortcut(x)])))


def identity_conv(channels: int) -> nn.Conv2d:
    conv = nn.Conv2d(channels, channels, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(channels)[:, :, None, None])
    conv.weight.requires_grad_(False)
    return conv


def canonize_residuals(model: nn.Module) -> nn.Module:
    """In place: every SmallResNet2D BasicBlock sums its branches through a StackSum module; identity shortcuts
    become identity 1x1 convolutions."""
    from nets.networks.small_resnet2d import BasicBlock
    for m in model.modules():
        if isinstance(m, BasicBlock) and not hasattr(m, "residual_sum"):
            m.residual_sum = StackSum()
            if isinstance(m.shortcut, nn.Identity):
                m.shortcut = identity_conv(m.conv2.out_channels)
            m.forward = types.MethodType(_block_forward, m)
    return model
