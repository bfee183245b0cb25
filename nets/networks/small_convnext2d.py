"""A small ConvNeXt-style network for 2D images (Liu et al. 2022, "A ConvNet for the 2020s"), plain torch.

Patchify stem (4x4, stride 4), stages of ConvNeXt blocks (7x7 depthwise convolution, LayerNorm over channels,
inverted 1x1 bottleneck with GELU, layer scale, residual), LayerNorm + 2x2 stride-2 downsampling between stages,
global average pool, LayerNorm + linear head. The second architecture family for chest and skin; the same
attribute names as SmallResNet2D (`stem`, `features` = one entry per stage, `dropout`, `head` on the pooled vector)
so Grad-CAM ("features") and the pooled-feature code work unchanged.
"""
import torch
from torch import nn


class LayerNorm2d(nn.Module):
    """LayerNorm over the channel axis of an (N, C, H, W) tensor."""

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=eps)

    def forward(self, x):
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int, layer_scale: float = 0.1):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = LayerNorm2d(dim)
        self.pw1 = nn.Conv2d(dim, 4 * dim, 1)
        self.act = nn.GELU()
        self.pw2 = nn.Conv2d(4 * dim, dim, 1)
        self.gamma = nn.Parameter(torch.full((1, dim, 1, 1), layer_scale))

    def forward(self, x):
        return x + self.gamma * self.pw2(self.act(self.pw1(self.norm(self.dwconv(x)))))


class SmallConvNeXt2D(nn.Module):
    def __init__(self, in_channels: int = 3, num_classes: int = 2, widths=(24, 48, 96, 192), depths=(1, 1, 2, 1),
                 dropout: float = 0.2):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 4, stride=4), LayerNorm2d(widths[0]))
        stages, cin = [], widths[0]
        for i, (w, n) in enumerate(zip(widths, depths)):
            down = [] if i == 0 else [LayerNorm2d(cin), nn.Conv2d(cin, w, 2, stride=2)]
            stages.append(nn.Sequential(*down, *[ConvNeXtBlock(w) for _ in range(n)]))
            cin = w
        self.features = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Sequential(nn.LayerNorm(cin), nn.Linear(cin, num_classes))

    def activation_stages(self) -> list:
        """(name, module) whose outputs the layer-activation view shows (nets/interpret/activations.py)."""
        return [("stem", self.stem)] + [(f"stage{i + 1}", s) for i, s in enumerate(self.features)]

    def forward(self, x):
        f = self.features(self.stem(x))
        return self.head(self.dropout(torch.flatten(self.pool(f), 1)))
