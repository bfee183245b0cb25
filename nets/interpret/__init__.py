"""Interpretability (own package, MONAI style): BatchNorm folding, LRP for 3D CNNs, occlusion sensitivity, Grad-CAM
for 2D CNNs."""
