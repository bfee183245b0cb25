"""nets/training/blur_patches.py: training images get squares hidden the way the faithfulness check hides them (the
same blur inside the image, whole 8 px squares, the asked share), and nothing else changes. Tiny synthetic tensors."""
import torch

from nets.interpret.faithfulness import blurred_baseline
from nets.training.blur_patches import PATCH, blur_patches, gaussian_blur, square_mask


def test_the_blur_is_the_checks_blur_away_from_the_border():
    x = torch.rand(1, 1, 96, 96, generator=torch.Generator().manual_seed(0))
    ours, check = gaussian_blur(x, 96 / 28), blurred_baseline(x)
    assert (ours - check)[..., 12:-12, 12:-12].abs().max() < 1e-3
    assert (ours - x).abs().mean() > 0.1  # it does blur


def test_masks_hide_whole_squares_in_the_asked_share():
    gen = torch.Generator().manual_seed(1)
    share = torch.tensor([0.0, 0.25, 0.5, 1.0])
    m = square_mask(4, 64, 64, share, torch.tensor([True, False, True, False]), gen)
    assert torch.allclose(m.float().mean((1, 2, 3)), share)
    squares = m.reshape(4, 1, 64 // PATCH, PATCH, 64 // PATCH, PATCH)
    assert bool((squares.all(3).all(4) | ~squares.any(3).any(4)).all())  # every square all hidden or all kept


def test_only_the_chosen_images_change_and_only_by_the_blur():
    gen = torch.Generator().manual_seed(2)
    x = torch.rand(64, 3, 32, 32, generator=gen)
    y = blur_patches(x, torch.Generator().manual_seed(3), p=0.5)
    changed = (y != x).flatten(1).any(1)
    assert 10 < int(changed.sum()) < 54  # about half the images
    blurred = gaussian_blur(x, 32 / 28)
    assert bool(((y == x) | (y == blurred)).all())
    assert torch.equal(blur_patches(x, gen, p=0.0), x)
