"""python -m nets.compare's core (nets/model_comparison.py): two tiny models on a tiny synthetic folder, both on the
same validation split (nets/training/splits_2d.py), with the table's columns and the plots."""
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from nets.model_comparison import compare_models, expected_calibration_error, validation_split
from nets.model_configs import CONFIGS
from nets.registry import LoadedModel

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _folder(root, n_patients=12):
    """Chest-style names (personN_...) so the split groups images by patient; 2 images per patient."""
    rng = np.random.default_rng(0)
    for i in range(n_patients):
        cls = "NORMAL" if i % 2 else "PNEUMONIA"
        (root / cls).mkdir(parents=True, exist_ok=True)
        for j in range(2):
            a = (rng.random((40, 40)) * 255 * (0.5 if cls == "NORMAL" else 1)).astype(np.uint8)
            Image.fromarray(a).save(root / cls / f"person{i}_bacteria_{j}.png")
    return root


def res_source(split):
    return split.description["source"].split()[0]


def _tiny(architecture, kwargs, weights_path=None):
    torch.manual_seed(0)
    cfg = replace(CONFIGS["chest-xray-resnet"], name=f"tiny-{architecture}", architecture=architecture,
                  arch_kwargs=kwargs, input=replace(CONFIGS["chest-xray-resnet"].input, size=32))
    from nets import networks
    module = getattr(networks, architecture)(**kwargs).eval()
    if weights_path:
        torch.save(module.state_dict(), weights_path)
    return LoadedModel(cfg, module, {}, str(weights_path) if weights_path else None, True)


def test_two_tiny_models_on_the_same_split(tmp_path):
    data = tmp_path / "data"
    _folder(data / "chest_xray")
    split = validation_split("chest", data, ["NORMAL", "PNEUMONIA"], val_fraction=0.34)
    patients = {f.split("/")[-1].split("_")[0] for f in split.files}
    assert len(split.files) == 2 * len(patients) and set(split.labels) == {0, 1}  # whole patients, both classes
    assert res_source(split) == "nets.training.splits_2d"
    models = [_tiny("SmallResNet2D", {"in_channels": 1, "num_classes": 2, "widths": [8, 16, 16, 16]},
                    tmp_path / "a.pt"),
              _tiny("SmallConvNeXt2D", {"in_channels": 1, "num_classes": 2, "widths": [8, 16, 16, 16]})]
    res = compare_models(models, split, tmp_path / "out", timing_runs=2)
    assert res["split"]["files_sha256"] == split.fingerprint and res["split"]["method"] == "by patient"
    rows = res["models"]
    assert [r["model"] for r in rows] == ["tiny-SmallResNet2D", "tiny-SmallConvNeXt2D"]
    for r in rows:
        assert r["n"] == len(split.files)  # every model saw every validation image
        assert set(r["per_class_recall"]) == {"NORMAL", "PNEUMONIA"} and 0 <= r["ece"] <= 1
        assert r["ms_per_image"] > 0 and r["parameters"] > 0 and 0 <= r["balanced_accuracy"] <= 1
    assert rows[0]["mb"] > 0 and rows[1]["mb"] is None  # no weights file for the second
    for name in ["roc.png", "reliability.png", "confusion_tiny-SmallResNet2D.png"]:
        assert (tmp_path / "out" / name).stat().st_size > 1000
    json.dumps(res)  # the table is plain JSON
    again = validation_split("chest", data, ["NORMAL", "PNEUMONIA"], val_fraction=0.34)
    assert again.fingerprint == split.fingerprint  # the same split every time


def test_expected_calibration_error():
    labels = np.array([0, 0, 1, 1])
    sure_right = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    assert expected_calibration_error(labels, sure_right) == pytest.approx(0.0)
    assert expected_calibration_error(labels, sure_right[::-1]) == pytest.approx(1.0)
