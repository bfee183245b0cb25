"""Preprocessing as small composable steps (MONAI/TorchIO style)."""
