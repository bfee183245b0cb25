"""Layer activations (nets/interpret/activations.py): shapes per architecture, computed once per result, the CLI."""
import json
import threading
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from tests.conftest import ROOT
from nets.interpret.activations import LayerActivations, result_activations
from nets.networks import BrainCNN3D, SmallConvNeXt2D, SmallResNet2D
from nets.render.activation_grid import save_stage_grids

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_2d_stages_give_the_top_k_maps_strongest_first():
    torch.manual_seed(0)
    x = torch.randn(1, 1, 32, 32)
    a = LayerActivations(SmallResNet2D(1, 2, blocks=(1, 1, 2, 1)).eval(), top=3).explain(x, 1)
    assert [s.name for s in a.stages] == ["stem", "stage1", "stage2", "stage3", "stage4"]
    assert [s.shape for s in a.stages][-1] == [256, 2, 2]
    for s in a.stages:
        assert s.maps.shape == (3, *s.shape[1:])
        assert s.means == sorted(s.means, reverse=True)
        assert np.isclose(s.maps[0].mean(), s.means[0], atol=1e-5)
    assert a.map.shape == (32, 32) and a.method == "activations" and not a.signed and a.target == 1


def test_convnext_and_a_chosen_layer():
    a = LayerActivations(SmallConvNeXt2D(3, 8).eval(), top=8, layers=["stage2"]).explain(torch.randn(1, 3, 64, 64))
    assert [(s.name, s.shape, len(s.channels)) for s in a.stages] == [("stage2", [48, 8, 8], 8)]


def test_mri_stages_keep_three_mid_plane_slices_per_channel(tmp_path):
    a = LayerActivations(BrainCNN3D(input_shape=(32, 32, 32)).eval(), top=2).explain(torch.randn(1, 1, 32, 32, 32))
    assert [s.name for s in a.stages] == ["stem", "block1", "block2", "block3", "head"]
    stem = a.stages[0]
    assert stem.shape == [8, 16, 16, 16] and len(stem.slices) == 2
    assert [sl.shape for sl in stem.slices[0]] == [(16, 16)] * 3  # axial, coronal, sagittal
    assert a.map.shape == (32, 32, 32)
    paths = save_stage_grids(a, tmp_path)
    assert Image.open(paths["stem"]).size[0] > Image.open(paths["stem"]).size[1] / 2 > 0


def test_second_call_on_a_result_does_no_forward_pass():
    module = SmallResNet2D(1, 2).eval()
    model = SimpleNamespace(module=module, _lock=threading.Lock(), _explainers={})
    from nets.result import LiveHandles, ModelInput
    res = SimpleNamespace(handles=LiveHandles(ModelInput(torch.randn(1, 1, 32, 32))), model=model, target=0,
                          extras={})
    first = result_activations(res, top=4)
    explainer = next(iter(model._explainers.values()))
    calls = []
    explainer.model.register_forward_hook(lambda *_: calls.append(1))
    second = result_activations(res, top=4)
    assert second is first and calls == [] and explainer.forward_passes == 1
    assert [s["name"] for s in res.extras["activations"]] == ["stem", "stage1", "stage2", "stage3", "stage4"]
    other = result_activations(res, top=2)  # another setting is another computation
    assert other is not first and [len(s.channels) for s in other.stages] == [2] * 5


def test_cli_writes_one_png_per_layer_and_prints_json(tmp_path, capsys):
    from nets.activations import main
    from nets.cli_contract import run_cli
    png = ROOT / "readme_static" / "test" / "chest_RG1_UNCR.png"
    assert run_cli(main, [str(png), "--top", "2", "--layer", "stem,stage4", "--out", str(tmp_path)]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["task"] == "chest" and [x["name"] for x in j["layers"]] == ["stem", "stage4"]
    assert all(len(x["channels"]) == 2 and x["text"]["zh"] for x in j["layers"])
    assert sorted(p.name.split("_", 1)[1] for p in tmp_path.iterdir()) == ["activations_stage4.png",
                                                                          "activations_stem.png"]
    assert run_cli(main, [str(png), "--layer", "nope", "--out", str(tmp_path)]) == 2
    err = json.loads(capsys.readouterr().err)
    assert "stage4" in err["message"]
