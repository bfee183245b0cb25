"""Strong batch augmentation on [0, 1] tensors (N, C, H, W), before normalisation.

Skin: full rotation, flips, zoom/aspect, per-channel gain, saturation, gamma, blur or down-up resize (so the two
skin folders' different resizes are no cue). Chest: crop/zoom, small rotation, gamma/contrast/brightness, random
dark borders and bright corner marks (so borders, text markers and contrast of the training folder are no cue).
"""
import math

import torch
import torch.nn.functional as F


def _affine(x, ang, scale, aspect, flip, shift, gen):
    n = x.shape[0]
    r = lambda *s: torch.rand(*s, generator=gen)  # noqa: E731
    tx, ty = (r(n) * 2 - 1) * shift, (r(n) * 2 - 1) * shift
    cos, sin = torch.cos(ang), torch.sin(ang)
    sx, sy = scale * aspect * flip, scale / aspect
    theta = torch.stack([torch.stack([cos * sx, -sin * sy, tx], 1), torch.stack([sin * sx, cos * sy, ty], 1)], 1)
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def _down_up(x, gen, p=0.5, low=0.5):
    """Down-size then up-size a random subset (resolution / resize-kernel changes)."""
    n, _, h, w = x.shape
    if torch.rand(1, generator=gen).item() > p:
        return x
    f = low + (1 - low) * torch.rand(1, generator=gen).item()
    small = F.interpolate(x, size=(max(8, int(h * f)), max(8, int(w * f))), mode="bilinear", align_corners=False,
                          antialias=True)
    return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)


def _gamma_contrast(x, gen, gamma_range, contrast_range, bright):
    n = x.shape[0]
    r = lambda *s: torch.rand(*s, generator=gen)  # noqa: E731
    lg = math.log(gamma_range[0]) + (math.log(gamma_range[1]) - math.log(gamma_range[0])) * r(n, 1, 1, 1)
    x = x.clamp(1e-4, 1).pow(torch.exp(lg))
    c = contrast_range[0] + (contrast_range[1] - contrast_range[0]) * r(n, 1, 1, 1)
    m = x.mean((1, 2, 3), keepdim=True)
    return ((x - m) * c + m + (r(n, 1, 1, 1) - 0.5) * 2 * bright).clamp(0, 1)


def augment_skin(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    r = lambda *s: torch.rand(*s, generator=gen)  # noqa: E731
    flip = (r(n) < 0.5).float() * 2 - 1
    x = _affine(x, (r(n) * 2 - 1) * math.pi, 0.7 + 0.45 * r(n), 1 + (r(n) * 2 - 1) * 0.2, flip, 0.1, gen)
    if r(1).item() < 0.5:
        x = x.flip(2)
    x = _down_up(x, gen, p=0.5, low=0.45)
    x = x * (0.8 + 0.4 * r(n, 3, 1, 1))  # per-channel gain (white balance)
    grey = x.mean(1, keepdim=True)
    x = grey + (x - grey) * (0.6 + 0.8 * r(n, 1, 1, 1))  # saturation
    return _gamma_contrast(x.clamp(0, 1), gen, (0.7, 1.4), (0.75, 1.25), 0.1)


def augment_chest(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    n, _, h, w = x.shape
    r = lambda *s: torch.rand(*s, generator=gen)  # noqa: E731
    x = _affine(x, (r(n) * 2 - 1) * math.radians(10), 0.7 + 0.35 * r(n), 1 + (r(n) * 2 - 1) * 0.15,
                torch.ones(n), 0.12, gen)
    x = _down_up(x, gen, p=0.4, low=0.4)
    x = _gamma_contrast(x, gen, (0.6, 1.7), (0.6, 1.4), 0.15)
    yy = torch.arange(h).view(1, 1, h, 1).float() / h
    xx = torch.arange(w).view(1, 1, 1, w).float() / w
    b = 0.15 * r(n, 4, 1, 1) * (r(n, 4, 1, 1) < 0.35)  # dark borders of random width on random sides
    border = (yy < b[:, 0:1]) | (yy > 1 - b[:, 1:2]) | (xx < b[:, 2:3]) | (xx > 1 - b[:, 3:4])
    x = torch.where(border, torch.zeros_like(x), x)
    for _ in range(2):  # bright rectangles near the edges (like the films' text markers)
        cy, cx = r(n, 1, 1, 1), r(n, 1, 1, 1)
        near_edge = ((cy < 0.15) | (cy > 0.85) | (cx < 0.15) | (cx > 0.85)) & (r(n, 1, 1, 1) < 0.3)
        mark = ((yy - cy).abs() < 0.03) & ((xx - cx).abs() < 0.06) & near_edge
        x = torch.where(mark, torch.full_like(x, 0.95), x)
    return (x + 0.02 * torch.randn(x.shape, generator=gen) * r(n, 1, 1, 1)).clamp(0, 1)


def augment_strong(x: torch.Tensor, task: str, gen: torch.Generator) -> torch.Tensor:
    return augment_skin(x, gen) if task == "skin" else augment_chest(x, gen)
