"""Batch augmentation on tensors (fast on CPU): random resized crop/aspect, rotation, flips, colour jitter."""
import math

import torch
import torch.nn.functional as F


def augment_batch(x: torch.Tensor, task: str, gen: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    r = lambda *s: torch.rand(*s, generator=gen)  # noqa: E731
    if task == "skin":
        ang = (r(n) * 2 - 1) * math.pi
        scale = 0.75 + 0.35 * r(n)
        flip = (r(n) < 0.5).float() * 2 - 1
    else:
        ang = (r(n) * 2 - 1) * math.radians(10)
        scale = 0.85 + 0.25 * r(n)
        flip = torch.ones(n)
    aspect = 1 + (r(n) * 2 - 1) * 0.15
    tx, ty = (r(n) * 2 - 1) * 0.1, (r(n) * 2 - 1) * 0.1
    cos, sin = torch.cos(ang), torch.sin(ang)
    sx, sy = scale * aspect * flip, scale / aspect
    theta = torch.stack([torch.stack([cos * sx, -sin * sy, tx], 1), torch.stack([sin * sx, cos * sy, ty], 1)], 1)
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    if task == "skin":
        x = x * (0.85 + 0.3 * r(n, x.shape[1], 1, 1)) + (r(n, 1, 1, 1) - 0.5) * 0.4
        if torch.rand(1, generator=gen) < 0.5:
            x = x.flip(2)
    else:
        x = x * (0.8 + 0.4 * r(n, 1, 1, 1)) + (r(n, 1, 1, 1) - 0.5) * 0.6
    return x
