"""One file per network architecture (MONAI style)."""
from nets.networks.small_resnet2d import SmallResNet2D
from nets.networks.brain_cnn3d import BrainCNN3D
from nets.networks.classification_model3d import ClassificationModel3D
from nets.networks.small_convnext2d import SmallConvNeXt2D

__all__ = ["SmallResNet2D", "BrainCNN3D", "ClassificationModel3D", "SmallConvNeXt2D"]
