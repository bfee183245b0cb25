"""Default 3D CNN for the Alzheimer's-stage task on the engine's MNI grid (80x96x80 at 2 mm).

Every layer is its own module (no reused ReLU, no functional ops with weights) so that LRP can attach one rule
per layer; BatchNorm is folded into the preceding convolution before explaining (see nets.interpret.bn_folding).
"""
import math

import torch
from torch import nn


class BrainCNN3D(nn.Module):
    def __init__(self, num_classes: int = 5, channels=(8, 16, 32, 64), input_shape=(80, 96, 80),
                 dropout: float = 0.3, head_channels: int = 8):
        super().__init__()
        # stem: a stride-2 convolution sees the full 2 mm input but makes training ~3x cheaper than pooling after it
        layers = [nn.Conv3d(1, channels[0], 3, stride=2, padding=1, bias=False), nn.BatchNorm3d(channels[0]),
                  nn.ReLU()]
        cin = channels[0]
        for c in channels[1:]:
            layers += [nn.Conv3d(cin, c, 3, padding=1, bias=False), nn.BatchNorm3d(c), nn.ReLU(), nn.MaxPool3d(2)]
            cin = c
        # a 1x1x1 reduction keeps where a feature is (brains are registered to MNI) with a narrow, stable head
        layers += [nn.Conv3d(cin, head_channels, 1, bias=False), nn.BatchNorm3d(head_channels), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        down = 2 ** len(channels)  # stride-2 stem + one pool per further block
        self.flat_features = head_channels * math.prod(s // down for s in input_shape)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.flat_features, num_classes)

    def forward(self, x):
        return self.classifier(self.dropout(torch.flatten(self.features(x), 1)))
