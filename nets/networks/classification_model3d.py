"""The older app's ADNI 3D CNN, rebuilt from its documented architecture so its state_dict loads unchanged.

Input: raw, unnormalised ADNI MPRAGE, first 160 slices along axis 0, shape (1, 1, 160, 256, 256).
Output order: AD, CN, MCI, EMCI, LMCI.
"""
import torch
from torch import nn


class ClassificationModel3D(nn.Module):
    def __init__(self, dropout: float = 0.4, num_classes: int = 5):
        super().__init__()
        self.Conv_1 = nn.Conv3d(1, 8, 3)
        self.Conv_1_bn = nn.BatchNorm3d(8)
        self.relu_1 = nn.ReLU()
        self.Conv_1_mp = nn.MaxPool3d(2)
        self.Conv_2 = nn.Conv3d(8, 16, 3)
        self.Conv_2_bn = nn.BatchNorm3d(16)
        self.relu_2 = nn.ReLU()
        self.Conv_2_mp = nn.MaxPool3d(3)
        self.Conv_3 = nn.Conv3d(16, 32, 3)
        self.Conv_3_bn = nn.BatchNorm3d(32)
        self.relu_3 = nn.ReLU()
        self.Conv_3_mp = nn.MaxPool3d(2)
        self.Conv_4 = nn.Conv3d(32, 64, 3)
        self.Conv_4_bn = nn.BatchNorm3d(64)
        self.relu_4 = nn.ReLU()
        self.Conv_4_mp = nn.MaxPool3d(3)
        self.dropout_1 = nn.Dropout(dropout)
        self.dense_1 = nn.Linear(4800, 128)
        self.relu_5 = nn.ReLU()
        self.dropout_2 = nn.Dropout(dropout)
        self.dense_2 = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.Conv_1_mp(self.relu_1(self.Conv_1_bn(self.Conv_1(x))))
        x = self.Conv_2_mp(self.relu_2(self.Conv_2_bn(self.Conv_2(x))))
        x = self.Conv_3_mp(self.relu_3(self.Conv_3_bn(self.Conv_3(x))))
        x = self.Conv_4_mp(self.relu_4(self.Conv_4_bn(self.Conv_4(x))))
        x = torch.flatten(x, 1)
        x = self.relu_5(self.dense_1(self.dropout_1(x)))
        return self.dense_2(self.dropout_2(x))
