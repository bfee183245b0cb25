"""Edge augmentation of the skin fine-tune (nets/training/border_paint.py) on tiny synthetic photos."""
import torch

from nets.training.border_paint import border_paint, paint_ring, vignette


def _photo(n=4, size=32):
    """Skin-coloured photos with a dark lesion in the middle and a black frame (a scanner border)."""
    x = torch.empty(n, 3, size, size)
    x[:] = torch.tensor([0.8, 0.6, 0.5]).view(1, 3, 1, 1)
    x[:, :, 12:20, 12:20] = 0.2
    x[:, :, :2], x[:, :, -2:], x[:, :, :, :2], x[:, :, :, -2:] = 0.0, 0.0, 0.0, 0.0
    return x


def test_paint_ring_replaces_the_frame_with_skin_and_keeps_the_lesion():
    x = _photo()
    y = paint_ring(x, torch.Generator().manual_seed(0))
    assert torch.allclose(y[:, :, 0, 0], torch.tensor([0.8, 0.6, 0.5]).expand(4, 3))  # the black corner is skin now
    assert torch.equal(y[:, :, 12:20, 12:20], x[:, :, 12:20, 12:20])


def test_vignette_darkens_corners_only():
    x = torch.ones(3, 3, 40, 40)
    y = vignette(x, torch.Generator().manual_seed(1))
    assert (y[:, :, 0, 0] <= 0.3 + 1e-6).all() and torch.equal(y[:, :, 20, 20], x[:, :, 20, 20])


def test_border_paint_touches_about_the_asked_share_and_nothing_at_zero():
    x = _photo(n=200)
    gen = torch.Generator().manual_seed(2)
    assert torch.equal(border_paint(x, gen, 0.0), x)
    changed = (border_paint(x, gen, 0.3) != x).flatten(1).any(1).float().mean().item()
    assert 0.2 < changed < 0.4
