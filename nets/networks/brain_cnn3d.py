"""Default 3D CNN for the Alzheimer's-stage task on the engine's MNI grid (80x96x80 at 2 mm).

Every layer is its own module (no reused ReLU, no functional ops with weights) so that LRP can attach one rule
per layer; BatchNorm is folded into the preceding convolution before explaining (see nets.interpret.bn_folding).

`stem="blur"` and `pool="avg"` make the network anti-aliased: a fixed binomial blur before the stride-2 stem and
average instead of max pooling, so that a brain shifted by one voxel gets (nearly) the same answer. The defaults
are the first architecture, kept so that weights trained with it still load.
"""
import math
from functools import lru_cache

import torch
from torch import nn
from torch.nn import functional as F

from nets.networks.single_volume_batch import as_two

STEMS = ("stride2", "blur")
POOLS = ("max", "avg")


@lru_cache(maxsize=1)
def _binomial_kernel() -> torch.Tensor:
    k = torch.tensor([1.0, 2.0, 1.0])
    w = k[:, None, None] * k[None, :, None] * k[None, None, :]
    return (w / w.sum())[None, None]


class BinomialBlur3d(nn.Conv3d):
    """A fixed 3x3x3 [1, 2, 1]^3 / 64 low-pass filter (not trained). A plain Conv3d for its weights and for LRP
    (whose rules run the convolution itself), but the forward pass runs the filter as three [1, 2, 1] passes, one
    per axis: oneDNN's one-channel 3D convolution took 19 of the 58 ms of a batch of 4 volumes (2 cores), the three
    passes take the network to ~37 ms, equal to 1e-6. Other weights (a sanity check randomises them) use the
    convolution."""

    def __init__(self):
        super().__init__(1, 1, 3, padding=1, bias=False)
        with torch.no_grad():
            self.weight.copy_(_binomial_kernel())
        self.weight.requires_grad_(False)

    def forward(self, x):
        if self.weight.dtype != torch.float32 or not torch.equal(self.weight, _binomial_kernel()):
            return super().forward(x)
        p = F.pad(x, (1,) * 6)
        p = p[:, :, :-2] + 2 * p[:, :, 1:-1] + p[:, :, 2:]
        p = p[:, :, :, :-2] + 2 * p[:, :, :, 1:-1] + p[:, :, :, 2:]
        return (p[..., :-2] + 2 * p[..., 1:-1] + p[..., 2:]) / 64


class BrainCNN3D(nn.Module):
    def __init__(self, num_classes: int = 5, channels=(8, 16, 32, 64), input_shape=(80, 96, 80),
                 dropout: float = 0.3, head_channels: int = 8, stem: str = "stride2", pool: str = "max"):
        super().__init__()
        if stem not in STEMS or pool not in POOLS:
            raise ValueError(f"stem must be one of {STEMS}, pool one of {POOLS}")
        self.stem = stem
        # stem: a stride-2 convolution sees the full 2 mm input but makes training ~3x cheaper than pooling after it
        layers = [BinomialBlur3d()] if stem == "blur" else []
        layers += [nn.Conv3d(1, channels[0], 3, stride=2, padding=1, bias=False), nn.BatchNorm3d(channels[0]),
                   nn.ReLU()]
        pooling = nn.AvgPool3d if pool == "avg" else nn.MaxPool3d
        cin = channels[0]
        for c in channels[1:]:
            layers += [nn.Conv3d(cin, c, 3, padding=1, bias=False), nn.BatchNorm3d(c), nn.ReLU(), pooling(2)]
            cin = c
        # a 1x1x1 reduction keeps where a feature is (brains are registered to MNI) with a narrow, stable head
        layers += [nn.Conv3d(cin, head_channels, 1, bias=False), nn.BatchNorm3d(head_channels), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        down = 2 ** len(channels)  # stride-2 stem + one pool per further block
        self.flat_features = head_channels * math.prod(s // down for s in input_shape)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.flat_features, num_classes)

    def forward(self, x):
        return as_two(self._forward, x, self.training)  # oneDNN's kernels need a batch > 1 (single_volume_batch)

    def _forward(self, x):
        return self.classifier(self.dropout(torch.flatten(self.features(x), 1)))


def load_weights(model: BrainCNN3D, state_dict: dict) -> None:
    """Load weights, also those of the same network without the blur stem into one with it (fine-tuning an
    anti-aliased network from plain weights): the fixed blur is prepended, every other layer keeps its weights."""
    if model.stem == "blur" and state_dict.get("features.0.weight", torch.empty(0)).shape != model.features[0].weight.shape:
        shifted = {}
        for k, v in state_dict.items():
            if k.startswith("features."):
                i, rest = k[len("features."):].split(".", 1)
                k = f"features.{int(i) + 1}.{rest}"
            shifted[k] = v
        shifted["features.0.weight"] = model.features[0].weight.detach().clone()
        state_dict = shifted
    model.load_state_dict(state_dict)
