"""ONNX fast path: export round-trip, int8 quantisation runs, refusals with clear messages."""
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nets.errors import InputError
from nets.registry import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
CHEST = ROOT / "readme_static" / "test" / "chest_RG1_UNCR.png"


def chest_images(n=12, size=160):
    """Small crops of the sample radiograph, as the predictor resizes them (uint8, N x H x W x 1)."""
    im = Image.open(CHEST).convert("L")
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        dx, dy = rng.integers(0, 30, 2)
        crop = im.crop((dx, dy, im.width - 30 + dx, im.height - 30 + dy)).resize((size, size), 2)
        out.append(np.asarray(crop, np.uint8)[..., None])
    return np.stack(out)


def copy_model(tmp_path, name="chest-xray-resnet"):
    """The registered model with its weights path moved into tmp (exports and card go there, not into the repo)."""
    import shutil
    m = REGISTRY.get(name)
    w = tmp_path / Path(m.weights_path).name
    shutil.copy(m.weights_path, w)
    card = {k: v for k, v in m.card.items() if k != "onnx"}
    (tmp_path / (w.stem + ".card.json")).write_text(json.dumps(card))
    return replace(m, weights_path=str(w), card=card)


def test_onnx_export_round_trips_and_int8_is_close(tmp_path):
    from nets.onnx_export import compare, export_float, logits_of, quantise_int8
    from nets.onnx_runtime import OnnxModule, export_path
    m = copy_model(tmp_path)
    imgs = chest_images()
    fp = export_float(m, export_path(m.weights_path, False))
    zt = logits_of(m.module, imgs, m.config.input)
    zo = logits_of(OnnxModule(fp, 1), imgs, m.config.input)
    assert np.abs(zt - zo).max() < 1e-3  # float export: the same network
    qp = export_path(m.weights_path, True)
    how = quantise_int8(fp, qp, imgs[:8], m.config.input)
    assert how["calibration_images"] == 8 and qp.stat().st_size < fp.stat().st_size / 2
    check = compare(m, qp, imgs, np.zeros(len(imgs), int), m.config.input)
    assert check["n_images"] == 12 and check["max_abs_logit_diff"] < 2.0


def test_int8_refuses_a_model_without_calibrated_export(tmp_path):
    from nets.onnx_export import export_float, record_in_card
    from nets.onnx_runtime import OnnxExportMissingError, OnnxModelRegistry, checked_export, export_path
    m = copy_model(tmp_path)
    with pytest.raises(OnnxExportMissingError, match=r"no calibrated int8 ONNX export.*nets.export onnx "
                                                     r"--model chest-xray-resnet --int8"):
        checked_export(m, int8=True)
    fp = export_float(m, export_path(m.weights_path, False))
    record_in_card(m, False, fp, {}, {})
    assert checked_export(m, int8=False) == fp  # the float export is there and matches its card entry
    with pytest.raises(OnnxExportMissingError, match="int8"):
        checked_export(m, int8=True)  # a float export is not a calibrated one
    fp.write_bytes(fp.read_bytes() + b"\0")
    with pytest.raises(OnnxExportMissingError, match="sha256"):
        checked_export(m, int8=False)
    with pytest.raises(InputError, match="--weights"):
        OnnxModelRegistry(int8=True).get("chest-xray-resnet", weights=str(m.weights_path))


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "nets.predict", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_cli_int8_refusal_is_json(tmp_path):
    vol = tmp_path / "x.nii"
    vol.write_bytes(b"\0" * 400)
    p = run_cli(str(vol), "--no-explain", "--runtime", "onnx", "--int8", "--out", str(tmp_path))
    assert p.returncode == 2
    err = json.loads(p.stderr.strip().splitlines()[-1])
    assert err["error"] == "onnx_export_missing" and "brain-atrophy-3dcnn" in err["message"]
    p = run_cli(str(CHEST), "--runtime", "onnx", "--out", str(tmp_path))
    assert p.returncode == 2 and "--no-explain" in json.loads(p.stderr.strip().splitlines()[-1])["message"]


def test_committed_int8_export_answers_like_torch(tmp_path):
    from nets.onnx_runtime import OnnxModelRegistry
    from nets.predictor import Predictor
    for name in ("chest-xray-resnet", "skin-isic-resnet"):
        m = REGISTRY.get(name)
        if not (m.card.get("onnx") or {}).get("int8"):
            pytest.skip(f"{name} has no committed int8 export")
    sample = {"chest": CHEST, "skin": ROOT / "readme_static" / "test" / "skin_synthetic_lesion.jpg"}
    torch_p = Predictor(imgs_root=tmp_path)
    onnx_p = Predictor(imgs_root=tmp_path, registry=OnnxModelRegistry(int8=True))
    for task, f in sample.items():
        a = torch_p.predict_file(f, task=task, explain=False)
        b = onnx_p.predict_file(f, task=task, explain=False)
        assert b.model.weights_path.endswith(".int8.onnx")
        assert a.to_json()["prediction"] == b.to_json()["prediction"]
        assert np.abs(a.probabilities - b.probabilities).max() < 0.1


def test_checked_int8_recomputes_only_close_calls():
    from nets.checked_int8_module import CheckedInt8Module
    int8 = lambda x: torch.tensor([[2.0, 1.99], [3.0, 0.0], [0.5, 0.52]])  # noqa: E731
    seen = []

    def float_fwd(x):
        seen.append(len(x))
        return torch.tensor([[1.0, 2.0], [9.0, 9.5]])[: len(x)]

    z = CheckedInt8Module(int8, float_fwd, margin=0.05)(torch.zeros(3, 1, 4, 4))
    assert seen == [2]  # rows 0 and 2 are within 0.05; row 1 is not
    assert z.argmax(1).tolist() == [1, 0, 1] and z[1].tolist() == [3.0, 0.0]
    seen.clear()
    z = CheckedInt8Module(int8, float_fwd, margin=0.0)(torch.zeros(3, 1, 4, 4))
    assert seen == [] and z.argmax(1).tolist() == [0, 0, 1]  # margin 0: int8 alone


def test_check_margin_is_one_and_a_half_times_the_widest_changed_answer():
    from types import SimpleNamespace
    from nets.onnx_export import choose_check_margin
    contract = REGISTRY.get("chest-xray-resnet").config.input
    imgs = chest_images(4)
    torch_logits = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    int8_logits = torch.tensor([[0.98, 1.0], [0.0, 1.0], [1.0, 1.1], [0.0, 3.0]])  # rows 0, 2 changed
    rows = iter([torch_logits, int8_logits])
    model = SimpleNamespace(module=lambda x: next(rows))
    out = choose_check_margin(model, lambda x: next(rows), imgs, contract)
    assert out["selection_changed_answers"] == 2 and out["margin"] == pytest.approx(0.15)
    assert out["selection_rechecked_fraction"] == 0.5  # the two changed rows; the confident ones are not


def test_int8_without_float_check_margin_is_refused(tmp_path):
    from nets.onnx_export import export_float, quantise_int8, record_in_card
    from nets.onnx_runtime import OnnxExportMissingError, OnnxModelRegistry, export_path
    m = copy_model(tmp_path)
    fp = export_float(m, export_path(m.weights_path, False))
    record_in_card(m, False, fp, {}, {})
    qp = export_path(m.weights_path, True)
    quantise_int8(fp, qp, chest_images(4), m.config.input)
    record_in_card(m, True, qp, {}, {})  # an export from before the float check
    base = SimpleRegistry(m)
    with pytest.raises(OnnxExportMissingError, match="float-check margin"):
        OnnxModelRegistry(int8=True, base=base).get("chest-xray-resnet")


class SimpleRegistry:
    def __init__(self, model):
        self.model = model

    def get(self, name=None, task=None):
        return self.model


@pytest.mark.parametrize("selection_n, used", [(3, 3), (0, 6)])  # 0: every image calibration did not use
def test_export_model_records_the_float_check_and_the_registry_uses_it(tmp_path, selection_n, used):
    """The whole export on tiny data: float and int8 files, the margin and its validation figures in the card, and
    an int8 registry that loads both exports and answers like torch on these images."""
    from nets.onnx_export import export_model
    from nets.onnx_runtime import OnnxModelRegistry
    m = copy_model(tmp_path)
    imgs = chest_images(16)
    data = {"train_images": imgs[:10], "val_images": imgs[10:], "val_labels": np.array([0, 1, 0, 1, 0, 1]),
            "split": {"data": "tiny"}}
    out = export_model(m, data, int8=True, calibration_n=4, selection_n=selection_n)
    fc = out["int8"]["float_check"]
    assert fc["selection_images"] == used and fc["margin"] >= 0 and "rechecked_fraction" in fc["validation"]
    card = json.loads((tmp_path / (Path(m.weights_path).stem + ".card.json")).read_text())
    assert card["onnx"]["int8"]["float_check"]["margin"] == fc["margin"]
    assert card["onnx"]["int8"]["command"].endswith(f"--int8 --selection {selection_n}")  # the command that redoes it
    loaded = OnnxModelRegistry(int8=True, base=SimpleRegistry(m)).get("chest-xray-resnet")
    from nets.onnx_export import logits_of
    z_torch, z_int8 = logits_of(m.module, imgs, m.config.input), logits_of(loaded.module, imgs, m.config.input)
    assert loaded.module.margin == fc["margin"] and np.abs(z_torch - z_int8).max() < 2.0


def test_the_cards_command_list_names_the_export_that_ran():
    from nets.onnx_export import sync_training_commands
    card = {"training": {"commands": ["python -m nets.training.finetune_2d skin --out cache/x.pt",
                                      "python -m nets.export onnx --model skin-isic-resnet --int8",
                                      "python -m nets.export onnx --model skin-isic-resnet-b --int8"]}}
    sync_training_commands(card, "python -m nets.export onnx --model skin-isic-resnet --int8 --selection 0")
    assert card["training"]["commands"] == ["python -m nets.training.finetune_2d skin --out cache/x.pt",
                                            "python -m nets.export onnx --model skin-isic-resnet --int8 --selection 0",
                                            "python -m nets.export onnx --model skin-isic-resnet-b --int8"]
    sync_training_commands({}, "python -m nets.export onnx --model m --int8")  # a card without training: no error
