"""Take away what a photo's edge says, keeping the label: paint the outer ring with the skin colour just inside it,
or darken it like a dermoscope's round vignette.

Why: the skin model changed 9 of 28 validation answers when the outer 12 % ring was painted over with the skin
colour (`python -m nets.skin_background`, round-4 weights), so borders and vignettes, which come with the camera
and the archive rather than the lesion, carried class evidence. Training with both kinds of edge under every label
makes the edge carry none (issue 17: "vignette and border augmentation")."""
from __future__ import annotations

import torch


def _box_mask(n: int, h: int, w: int, widths: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) bool: outside the box inset by widths (N, 4: top, bottom, left, right, as shares of the side)."""
    yy = torch.linspace(0, 1, h).view(1, h, 1)
    xx = torch.linspace(0, 1, w).view(1, 1, w)
    t, b, l, r = (widths[:, i].view(n, 1, 1) for i in range(4))
    return ((yy < t) | (yy > 1 - b) | (xx < l) | (xx > 1 - r)).unsqueeze(1)


def paint_ring(x: torch.Tensor, gen: torch.Generator, low: float = 0.06, high: float = 0.18,
               band: float = 0.08) -> torch.Tensor:
    """Each image's outer ring (a random width per side in [low, high]) painted with the median colour of the band
    just inside it (mostly skin: lesions sit near the middle)."""
    n, c, h, w = x.shape
    widths = low + (high - low) * torch.rand(n, 4, generator=gen)
    ring = _box_mask(n, h, w, widths)
    inside = _box_mask(n, h, w, widths + band) & ~ring
    colour = torch.stack([x[i][:, inside[i, 0]].median(1).values for i in range(n)]).view(n, c, 1, 1)
    return torch.where(ring, colour.expand_as(x), x)


def vignette(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """A dark round frame: outside a circle of random radius (0.75-1.05 of the half side, centre moved by up to 5 %)
    the image fades to 0-30 % of its brightness over 5 % of the side."""
    n, _, h, w = x.shape
    r = lambda *s: torch.rand(*s, generator=gen)  # noqa: E731
    cy, cx = 0.5 + (r(n, 1, 1) - 0.5) * 0.1, 0.5 + (r(n, 1, 1) - 0.5) * 0.1
    yy, xx = torch.linspace(0, 1, h).view(1, h, 1), torch.linspace(0, 1, w).view(1, 1, w)
    dist = ((yy - cy) ** 2 + (xx - cx) ** 2).sqrt()
    radius = 0.5 * (0.75 + 0.3 * r(n, 1, 1))
    keep = ((radius - dist) / 0.05).clamp(0, 1).unsqueeze(1)
    dark = 0.3 * r(n, 1, 1, 1)
    return x * (keep + (1 - keep) * dark)


def solid_frame(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """A flat frame, as a camera or an archive adds: each side 2-15 % wide (a quarter of the sides none), black
    (60 %), white (20 %) or grey (20 %)."""
    n, c, h, w = x.shape
    r = lambda *s: torch.rand(*s, generator=gen)  # noqa: E731
    widths = (0.02 + 0.13 * r(n, 4)) * (r(n, 4) > 0.25)
    kind = r(n)
    value = torch.where(kind < 0.6, 0.08 * r(n), torch.where(kind < 0.8, 0.9 + 0.1 * r(n), 0.3 + 0.4 * r(n)))
    return torch.where(_box_mask(n, h, w, widths), value.view(n, 1, 1, 1).expand_as(x), x)


def round_frame(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """A dermoscope's round field of view: black (0-8 % brightness) outside a circle of 0.85-1.35 times the half
    side (from cutting into every side to the corners only), centre moved by up to 5 %, edge 0.5-3.5 % soft."""
    n, _, h, w = x.shape
    r = lambda *s: torch.rand(*s, generator=gen)  # noqa: E731
    cy, cx = 0.5 + (r(n, 1, 1) - 0.5) * 0.1, 0.5 + (r(n, 1, 1) - 0.5) * 0.1
    yy, xx = torch.linspace(0, 1, h).view(1, h, 1), torch.linspace(0, 1, w).view(1, 1, w)
    dist = ((yy - cy) ** 2 + (xx - cx) ** 2).sqrt()
    radius, soft = 0.5 * (0.85 + 0.5 * r(n, 1, 1)), 0.005 + 0.03 * r(n, 1, 1)
    keep = ((radius - dist) / soft).clamp(0, 1).unsqueeze(1)
    return x * keep + (1 - keep) * 0.08 * r(n, 1, 1, 1)


def border_paint(x: torch.Tensor, gen: torch.Generator, p: float = 0.3, frames: float = 0.0) -> torch.Tensor:
    """For a share `p` of the images (N, C, H, W) in [0, 1]: half get the painted ring, half the vignette; then a
    share `frames` of all images get a flat frame or a round black field of view (half each). The round-4 skin
    model called 76-100 % of validation photos melanoma once a 4-12 % black frame or a round black field of view
    was added (`python -m nets.training.shift_eval_2d skin`): under every label, such edges must carry nothing."""
    n = x.shape[0]
    pick = torch.rand(n, generator=gen)
    ring, vig = pick < p / 2, (pick >= p / 2) & (pick < p)
    out = x
    if p > 0 and (ring.any() or vig.any()):
        out = x.clone()
        if ring.any():
            out[ring] = paint_ring(x[ring], gen)
        if vig.any():
            out[vig] = vignette(x[vig], gen)
    if frames > 0:  # drawn only when asked, so runs without frames keep their random stream
        pick = torch.rand(n, generator=gen)
        flat, round_ = pick < frames / 2, (pick >= frames / 2) & (pick < frames)
        out = out.clone() if out is x else out
        if flat.any():
            out[flat] = solid_frame(out[flat], gen)
        if round_.any():
            out[round_] = round_frame(out[round_], gen)
    return out
