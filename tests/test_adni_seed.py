"""The older app's ADNI weights load unchanged and give the logits of an independent forward of the documented
architecture (functional re-implementation, no shared code with nets/networks)."""
import numpy as np
import torch
import torch.nn.functional as F

from tests.conftest import need_shared


def independent_forward(sd, x):
    for i, pool in zip(range(1, 5), (2, 3, 2, 3)):
        x = F.conv3d(x, sd[f"Conv_{i}.weight"], sd[f"Conv_{i}.bias"])
        x = F.batch_norm(x, sd[f"Conv_{i}_bn.running_mean"], sd[f"Conv_{i}_bn.running_var"],
                         sd[f"Conv_{i}_bn.weight"], sd[f"Conv_{i}_bn.bias"], training=False, eps=1e-5)
        x = F.max_pool3d(F.relu(x), pool)
    x = x.flatten(1)
    x = F.relu(F.linear(x, sd["dense_1.weight"], sd["dense_1.bias"]))
    return F.linear(x, sd["dense_2.weight"], sd["dense_2.bias"])


def test_seed_logits_match_independent_forward():
    path = need_shared("adni_seed_weights", "myModel_state_dict_130.pth")
    from nets.registry import REGISTRY
    m = REGISTRY.get("adni-seed-3dcnn")
    assert m.trained and list(m.config.classes) == ["AD", "CN", "MCI", "EMCI", "LMCI"]
    sd = torch.load(path, map_location="cpu", weights_only=True)
    g = torch.Generator().manual_seed(0)
    for scale in (100.0, 800.0):
        x = torch.rand(1, 1, 160, 256, 256, generator=g) * scale
        with torch.no_grad():
            a = m.module(x)
            b = independent_forward(sd, x)
        assert torch.allclose(a, b, atol=1e-4), (a, b)


def test_seed_model_runs_through_the_engine(tmp_path):
    need_shared("adni_seed_weights", "myModel_state_dict_130.pth")
    import nibabel as nib
    from nets.predictor import Predictor
    d = (np.random.default_rng(0).random((166, 256, 256)) * 500).astype(np.float32)
    raw = nib.Nifti1Image(d, np.eye(4)).to_bytes()
    r = Predictor(imgs_root=tmp_path).predict_bytes(raw, model="adni-seed-3dcnn").to_json()
    assert r["model"] == "adni-seed-3dcnn" and len(r["images"]["merged"]) >= 9
    assert abs(sum(r["probabilities"].values()) - 1) < 1e-5


def test_seed_model_rejects_wrong_shape(tmp_path):
    need_shared("adni_seed_weights", "myModel_state_dict_130.pth")
    import nibabel as nib
    import pytest
    from nets.errors import WrongDimensionsError
    from nets.predictor import Predictor
    raw = nib.Nifti1Image(np.random.rand(100, 120, 100).astype(np.float32), np.eye(4)).to_bytes()
    with pytest.raises(WrongDimensionsError):
        Predictor(imgs_root=tmp_path).predict_bytes(raw, model="adni-seed-3dcnn")


def test_weights_setting_makes_a_model_usable(tmp_path):
    """demo01.py --weights NAME=PATH / XAI_WEIGHTS: the page and the API then offer and load that model."""
    from nets.networks import ClassificationModel3D
    from nets.registry import ModelRegistry
    reg = ModelRegistry()
    reg.set_weights("adni-seed-3dcnn", tmp_path / "missing.pth")
    assert reg.usable("mri") == ["brain-atrophy-3dcnn"]
    torch.manual_seed(1)
    own = ClassificationModel3D()
    torch.save(own.state_dict(), tmp_path / "own.pth")
    reg.set_weights("adni-seed-3dcnn", tmp_path / "own.pth")
    assert reg.usable("mri") == ["brain-atrophy-3dcnn", "adni-seed-3dcnn"]
    m = reg.get("adni-seed-3dcnn")
    assert m.weights_path == str(tmp_path / "own.pth")
    assert torch.equal(m.module.dense_2.weight, own.dense_2.weight)
