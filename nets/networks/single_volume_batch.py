"""Run a single volume as a batch of two copies, in eval mode.

PyTorch 2.13's CPU convolution picks oneDNN only when the batch is > 1 or N*C*D*H > 20,480 (a rule tuned on 2D
images, `ConvParams::use_mkldnn`); every 3x3x3 layer of the MRI networks at batch 1 falls below it and runs the
im2col path, about 3x slower than oneDNN on two copies (forward of demo.nii on 1 core: 0.14 s at batch 1, 0.043 s
for a batch of 2). The second copy's output is dropped, so it gets no gradient and no relevance: answers, gradients
and LRP maps are those of the single volume. Used by BrainCNN3D only: the older app's ADNI network takes
160x256x256 volumes, big enough for oneDNN at batch 1, where a copy would double the work."""
import torch


def as_two(net_forward, x: torch.Tensor, training: bool) -> torch.Tensor:
    """net_forward(x), computed on [x, x] when x is one volume and the network is not training (BatchNorm in
    training mode would see the copy)."""
    if training or x.dim() != 5 or x.shape[0] != 1:
        return net_forward(x)
    return net_forward(torch.cat([x, x]))[:1]


def prefers_one(module: torch.nn.Module) -> bool:
    """Layers whose backward pass is faster on the single volume than on two copies: oneDNN's backward-data for
    one-channel inputs (the blur and the stem) took ~4x longer on two copies (1 core), where the im2col path wins."""
    return getattr(module, "in_channels", 0) == 1
