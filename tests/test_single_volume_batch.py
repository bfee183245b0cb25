"""A single volume runs as two copies (oneDNN's faster kernels); answers and LRP maps are the volume's own."""
import pytest
import torch

import nets.networks.brain_cnn3d as brain_cnn3d
from nets.interpret.lrp import LRPExplainer
from nets.networks import BrainCNN3D
from nets.networks.single_volume_batch import as_two


def _net():
    torch.manual_seed(0)
    return BrainCNN3D(num_classes=3, channels=(4, 8), input_shape=(16, 16, 16), stem="blur").eval()


def test_one_volume_goes_through_as_a_pair_and_only_then():
    seen = []

    def forward(x):
        seen.append(x.shape[0])
        return x.flatten(1)[:, :3] * 2

    x = torch.rand(1, 1, 4, 4, 4)
    assert torch.equal(as_two(forward, x, training=False), x.flatten(1)[:, :3] * 2) and seen == [2]
    as_two(forward, x, training=True)  # BatchNorm in training mode must not see a copy
    as_two(forward, torch.rand(3, 1, 4, 4, 4), training=False)
    as_two(forward, torch.rand(1, 1, 4, 4), training=False)  # 2D images keep their batch
    assert seen == [2, 1, 3, 1]


def test_logits_and_lrp_maps_equal_the_single_volume_run(monkeypatch):
    m, x = _net(), torch.rand(1, 1, 16, 16, 16)
    with torch.no_grad():
        paired = m(x)
    rel_paired, logits_paired, _ = LRPExplainer(m).explain(x, 2)
    monkeypatch.setattr(brain_cnn3d, "as_two", lambda f, v, training: f(v))
    with torch.no_grad():
        single = m(x)
    rel_single, _, _ = LRPExplainer(m).explain(x, 2)
    assert paired.shape == (1, 3) and torch.allclose(paired, single, atol=1e-5)
    assert torch.allclose(logits_paired, single, atol=1e-5)
    assert rel_paired.shape == x.shape
    assert float((rel_paired - rel_single).abs().max()) <= 1e-5 * float(rel_single.abs().max())


def test_gradients_reach_only_the_real_volume():
    m, x = _net(), torch.rand(1, 1, 16, 16, 16, requires_grad=True)
    m(x)[0, 1].backward()
    assert x.grad.shape == x.shape and x.grad.abs().sum() > 0
