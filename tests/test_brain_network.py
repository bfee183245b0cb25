"""BrainCNN3D's anti-aliased options, the card declaring the architecture, and the shift-stability measure."""
import json

import numpy as np
import pytest
import torch
from torch import nn

from nets.interpret.lrp import LRPExplainer
from nets.networks import BrainCNN3D
from nets.evaluation.real_brains import real_brains_under_shifts


def test_anti_aliased_options_build_a_blurred_stem_and_average_pooling():
    torch.manual_seed(0)
    m = BrainCNN3D(num_classes=3, channels=(4, 8), input_shape=(16, 16, 16), stem="blur", pool="avg").eval()
    blur = m.features[0]
    assert isinstance(blur, nn.Conv3d) and not blur.weight.requires_grad
    assert torch.isclose(blur.weight.sum(), torch.tensor(1.0)) and (blur.weight > 0).all()
    assert not any(isinstance(x, nn.MaxPool3d) for x in m.modules())
    assert any(isinstance(x, nn.AvgPool3d) for x in m.modules())
    x = torch.rand(1, 1, 16, 16, 16)
    rel, logits, _ = LRPExplainer(m).explain(x, 1)
    assert rel.shape == x.shape and torch.isfinite(rel).all() and logits.shape == (1, 3)
    # a constant input stays constant through the blur (inside the zero-padded border)
    assert torch.allclose(blur(torch.ones(1, 1, 8, 8, 8))[0, 0, 1:-1, 1:-1, 1:-1], torch.ones(6, 6, 6))
    with pytest.raises(ValueError):
        BrainCNN3D(stem="other")


def test_registry_builds_the_architecture_the_card_declares(tmp_path):
    """Weights of the anti-aliased network do not fit the config's default architecture; the card next to them
    says which one they need."""
    from dataclasses import asdict
    from nets.model_configs import CONFIGS
    from nets.registry import ModelRegistry
    cfg = CONFIGS["brain-atrophy-3dcnn"]
    kw = {**cfg.arch_kwargs, "stem": "blur", "pool": "avg"}
    torch.manual_seed(1)
    net = BrainCNN3D(**kw).eval()
    w = tmp_path / "aa.pt"
    torch.save(net.state_dict(), w)
    card = {**asdict(cfg), "arch_kwargs": kw, "trained": True}
    (tmp_path / "aa.card.json").write_text(json.dumps(card))
    m = ModelRegistry().get("brain-atrophy-3dcnn", weights=str(w))
    x = torch.rand(1, 1, 80, 96, 80)
    with torch.no_grad():
        assert torch.allclose(m.module(x), net(x), atol=1e-5)
    (tmp_path / "aa.card.json").unlink()  # without the card the default architecture is tried, and does not fit
    from nets.errors import ModelUnavailableError
    with pytest.raises(ModelUnavailableError):
        ModelRegistry().get("brain-atrophy-3dcnn", weights=str(w))


class VoxelReader(nn.Module):
    """CN logit = value of one voxel: a one-voxel shift changes the answer completely."""

    def forward(self, x):
        v = x[:, 0, 4, 4, 4]
        return torch.stack([v * 10, torch.zeros_like(v), torch.zeros_like(v), torch.zeros_like(v),
                            torch.full_like(v, 5.0)], 1)


def test_shift_measure_separates_a_stable_from_a_shift_sensitive_model():
    img = np.zeros((10, 10, 10), np.float32)
    img[4, 4, 4] = 1.0  # CN only where the voxel sits
    brains = {"sub-01": img, "colin27": img}
    shaky = real_brains_under_shifts(VoxelReader(), brains, ["sub-01", "colin27"])
    assert shaky["shifts"] == 8 and set(shaky["lowest_cn_probability"]) == {"sub-01"}
    assert shaky["called_cn"] == pytest.approx(1 / 8)
    assert shaky["mean_cn_probability_spread"] > 0.9

    class Constant(nn.Module):
        def forward(self, x):
            return torch.tensor([[3.0, 0, 0, 0, 0]]).repeat(len(x), 1)
    stable = real_brains_under_shifts(Constant(), brains, ["sub-01"])
    assert stable["called_cn"] == 1.0 and stable["mean_cn_probability_spread"] == pytest.approx(0)
    assert real_brains_under_shifts(Constant(), brains, ["colin27"]) == {}


def test_plain_weights_load_into_the_blur_stem_network_for_fine_tuning():
    from nets.networks.brain_cnn3d import load_weights
    torch.manual_seed(0)
    kw = dict(num_classes=3, channels=(4, 8), input_shape=(16, 16, 16))
    plain = BrainCNN3D(**kw).eval()
    blurred = BrainCNN3D(stem="blur", **kw).eval()
    load_weights(blurred, plain.state_dict())
    assert torch.equal(blurred.features[1].weight, plain.features[0].weight)
    assert torch.equal(blurred.classifier.weight, plain.classifier.weight)
    x = torch.rand(1, 1, 16, 16, 16)
    with torch.no_grad():  # the same network behind the fixed blur
        assert torch.allclose(blurred(x), plain(blurred.features[0](x)), atol=1e-5)
    same = BrainCNN3D(stem="blur", **kw)
    load_weights(same, blurred.state_dict())  # its own kind loads as is
    assert torch.equal(same.features[0].weight, blurred.features[0].weight)


def test_the_blur_runs_as_three_passes_equal_to_its_convolution():
    """BinomialBlur3d's separable forward equals the 3x3x3 convolution of its weights (incl. the zero border);
    changed weights (a sanity check randomises them) use the convolution."""
    import torch.nn.functional as F
    from nets.networks.brain_cnn3d import BinomialBlur3d
    blur, x = BinomialBlur3d(), torch.rand(2, 1, 9, 12, 7)
    conv = F.conv3d(x, blur.weight, padding=1)
    assert torch.allclose(blur(x), conv, atol=1e-6)
    with torch.no_grad():
        blur.weight.uniform_(-1, 1)
    assert torch.allclose(blur(x), F.conv3d(x, blur.weight, padding=1), atol=1e-6)
