"""Fold BatchNorm into the preceding convolution so LRP sees one affine layer (a canonizer, as in zennit)."""
import copy

import torch
from torch import nn

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_BN = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


@torch.no_grad()
def fold_conv_bn(conv, bn):
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fused = copy.deepcopy(conv)
    fused.weight.copy_(conv.weight * scale.view(-1, *([1] * (conv.weight.dim() - 1))))
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias)
    return fused


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """Return an eval-mode copy where every Conv->BN pair (consecutive in registration order) is fused."""
    model = copy.deepcopy(model).eval()

    def visit(parent):
        names = list(parent._modules.keys())
        prev = None
        for name in names:
            child = parent._modules[name]
            if isinstance(child, _BN) and prev is not None and isinstance(parent._modules[prev], _CONV):
                parent._modules[prev] = fold_conv_bn(parent._modules[prev], child)
                parent._modules[name] = nn.Identity()
            elif len(child._modules):
                visit(child)
            prev = name

    visit(model)
    return model
