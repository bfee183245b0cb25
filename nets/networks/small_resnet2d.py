"""A compact ResNet for 2D images, trained from scratch on 2 CPU cores."""
import torch
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=False)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + self.shortcut(x))


class SmallResNet2D(nn.Module):
    """Stem + 4 stages of basic blocks + global average pool + linear head.

    `features` (the last stage) is the Grad-CAM target layer.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 2,
                 widths=(32, 64, 128, 256), blocks=(1, 1, 1, 1), dropout: float = 0.2):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(),
        )
        layers, cin = [], widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            for j in range(n):
                layers.append(BasicBlock(cin, w, 2 if (j == 0 and i > 0) else 1))
                cin = w
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(cin, num_classes)

    @classmethod
    def from_weights(cls, arch_kwargs: dict, path) -> "SmallResNet2D":
        """The network of `arch_kwargs` with the state dict saved at `path` (CPU)."""
        model = cls(**arch_kwargs)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return model

    def forward(self, x):
        f = self.features(self.stem(x))
        return self.head(self.dropout(torch.flatten(self.pool(f), 1)))
