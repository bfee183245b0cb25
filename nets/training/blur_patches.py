"""Hide part of each training image the way the faithfulness check does (nets/interpret/faithfulness.py: 8 px
squares replaced by the image Gaussian-blurred with sigma = side / 28), keeping the label.

Why: a deletion test reads "P(class) fell as the most relevant squares were hidden" as the map finding evidence,
but a model that never saw blurred squares may read the blur itself as evidence (the chest model calls a fully
blurred film PNEUMONIA, P 0.98), and then no order of hiding beats another. Training on hidden squares with the label
kept makes a hidden square carry no class (Hooker et al. 2019, "A benchmark for interpretability methods in deep
neural networks" (ROAR): retrain with the removal so the test measures the evidence, not the removal)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from nets.interpret.faithfulness import BLUR_SIGMA_FRACTION

PATCH = 8


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """(N, C, H, W) blurred over H and W (separable kernel, reflected borders)."""
    r = max(1, int(math.ceil(3 * sigma)))
    k = torch.exp(-0.5 * (torch.arange(-r, r + 1, dtype=x.dtype) / sigma) ** 2)
    k = (k / k.sum()).to(x.dtype)
    c = x.shape[1]
    y = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(y, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def square_mask(n: int, h: int, w: int, share: torch.Tensor, clustered: torch.Tensor, gen) -> torch.Tensor:
    """(N, 1, H, W) bool: about `share` of the 8 px squares of each image, scattered or in smooth blobs (the map's
    top squares cluster) for the images where `clustered` is set."""
    gh, gw = math.ceil(h / PATCH), math.ceil(w / PATCH)
    scattered = torch.rand(n, 1, gh, gw, generator=gen)
    blobs = F.interpolate(torch.rand(n, 1, max(2, gh // 4), max(2, gw // 4), generator=gen), size=(gh, gw),
                          mode="bilinear", align_corners=False)
    score = torch.where(clustered.view(n, 1, 1, 1), blobs, scattered).reshape(n, -1)
    rank = score.argsort(1).argsort(1).float() / score.shape[1]
    hidden = (rank < share.view(n, 1)).reshape(n, 1, gh, gw)
    return hidden.repeat_interleave(PATCH, 2).repeat_interleave(PATCH, 3)[..., :h, :w]


def blur_patches(x: torch.Tensor, gen: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """For a share `p` of the images (N, C, H, W), hide a uniform random share (0-100 %) of the squares."""
    n, _, h, w = x.shape
    chosen = torch.rand(n, generator=gen) < p
    if p <= 0 or not chosen.any():
        return x
    share = torch.rand(n, generator=gen) * chosen
    hidden = square_mask(n, h, w, share, torch.rand(n, generator=gen) < 0.5, gen)
    return torch.where(hidden, gaussian_blur(x, w * BLUR_SIGMA_FRACTION), x)
