"""Default 3D CNN for the Alzheimer's-stage task on the engine's MNI grid (80x96x80 at 2 mm).

Every layer is its own module (no reused ReLU, no functional ops with weights) so that LRP can attach one rule
per layer; BatchNorm is folded into the preceding convolution before explaining (see nets.interpret.bn_folding).
"""
import torch
from torch import nn


class BrainCNN3D(nn.Module):
    def __init__(self, num_classes: int = 5, channels=(8, 16, 32, 64), input_shape=(80, 96, 80),
                 dropout: float = 0.3):
        super().__init__()
        layers, cin = [], 1
        for c in channels:
            # one conv per block keeps a forward + LRP pass well under a second on 2 cores
            layers += [nn.Conv3d(cin, c, 3, padding=1, bias=False), nn.BatchNorm3d(c), nn.ReLU(), nn.MaxPool3d(2)]
            cin = c
        self.features = nn.Sequential(*layers)
        # global average pooling: a narrow head keeps Adam stable (a 9,600-wide flatten made the logits explode)
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.flat_features = cin
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.flat_features, num_classes)

    def forward(self, x):
        return self.classifier(self.dropout(torch.flatten(self.pool(self.features(x)), 1)))
