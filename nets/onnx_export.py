"""Export a 2D model to ONNX (float, and int8 by static quantisation calibrated on training images), check it
against the torch model on the model's validation split, and record both in the model card under "onnx".

The data are read exactly as training read them (nets.training.train_image_classifier.load_task_data: the
predictor's decode -> convert -> bilinear resize) and split by the same group_split, seed and fraction as the
card's split, so the validation images are the ones the card's metrics come from and calibration never sees them.
"""
from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path

import numpy as np
import torch

from nets.checked_int8_module import CheckedInt8Module
from nets.onnx_runtime import KINDS, OnnxModule, export_command, export_path
from nets.registry import LoadedModel
from nets.training.metrics import classification_metrics
from nets.model_card import card_path_for, sha256_file
from nets.transforms.image_to_tensor import image_to_tensor

OPSET = 17
EXPORTER = "torch.onnx.export, TorchScript exporter (dynamo=False: needs only the onnx package)"


def export_float(model: LoadedModel, out: Path) -> Path:
    c = model.config.input
    channels = 1 if c["mode"] == "L" else 3
    dummy = torch.zeros(1, channels, c["size"], c["size"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(model.module, (dummy,), str(out), dynamo=False, opset_version=OPSET, input_names=["x"],
                          output_names=["logits"], dynamic_axes={"x": {0: "n"}, "logits": {0: "n"}})
    return out


def float_nodes(onnx_path) -> list:
    """Nodes kept in float: the first convolution (sees raw intensities) and the classifier head (the logits)."""
    import onnx
    nodes = onnx.load(str(onnx_path)).graph.node
    first_conv = [n.name for n in nodes if n.op_type == "Conv"][:1]
    return first_conv + [n.name for n in nodes if n.op_type in ("Gemm", "MatMul")]


def quantise_int8(float_path: Path, out: Path, calibration: np.ndarray, contract: dict, batch: int = 32) -> dict:
    """Static int8 (QDQ, per-channel int8 weights with reduce_range, uint8 activations, MinMax ranges) calibrated
    on `calibration` (uint8 images, N x H x W x C, through the predictor's own image_to_tensor). reduce_range
    (7-bit weights) avoids the uint8 x int8 overflow of x86 CPUs without VNNI, which without it changed 37 % of
    the chest answers; the first convolution and the head stay float."""
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(range(0, len(calibration), batch))

        def get_next(self):
            i = next(self.batches, None)
            return None if i is None else {"x": image_to_tensor(calibration[i:i + batch], contract).numpy()}

    pre = out.with_name(out.stem + ".pre.onnx")
    try:
        quant_pre_process(str(float_path), str(pre))
        keep_float = float_nodes(pre)
        quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        reduce_range=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=keep_float)
    finally:
        pre.unlink(missing_ok=True)
    return {"method": "static, QDQ format, per-channel int8 weights (reduce_range: 7 bit), uint8 activations, "
                      "MinMax calibration (onnxruntime.quantization.quantize_static)",
            "kept_float": keep_float, "calibration_images": int(len(calibration)),
            "how_chosen": "5 settings compared on the validation images (without reduce_range 49-63 % identical "
                          "answers; with it 98.8-99.8 %); this one was the best for both models, so its "
                          "agreement figure is slightly optimistic"}


@torch.no_grad()
def logits_of(forward, images: np.ndarray, contract: dict, batch: int = 64, flip: bool = False) -> np.ndarray:
    out = []
    for i in range(0, len(images), batch):
        x = image_to_tensor(images[i:i + batch], contract)
        out.append(np.asarray(forward(x.flip(3) if flip else x), dtype=np.float64))
    return np.concatenate(out)


def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def compare(model: LoadedModel, onnx_path: Path, images, labels, contract, forward=None, keep_logits=False) -> dict:
    """Answers (argmax of one forward, as the predictor gives them) and metrics, ONNX vs torch, same images.
    `metrics_tta` repeats the card's own procedure (flip-averaged logits) for both. `forward`: the ONNX forward
    to check (default: a plain session on onnx_path); keep_logits: also its logits, under "onnx_logits"."""
    classes = list(model.config.classes)
    positive = model.config.positive_class
    ort_fwd = forward or OnnxModule(onnx_path, torch.get_num_threads())
    res = {}
    for name, fwd in (("torch", model.module), ("onnx", ort_fwd)):
        z = logits_of(fwd, images, contract)
        zf = logits_of(fwd, images, contract, flip=True)
        res[name] = {"logits": z, "metrics": classification_metrics(labels, softmax(z), classes, positive),
                     "metrics_tta": classification_metrics(labels, softmax((z + zf) / 2), classes, positive)}
    t, o = res["torch"], res["onnx"]
    same = t["logits"].argmax(1) == o["logits"].argmax(1)
    return {"n_images": int(len(labels)), "identical_answers": float(same.mean()),
            "different_answers": int((~same).sum()),
            "max_abs_logit_diff": float(np.abs(t["logits"] - o["logits"]).max()),
            "max_abs_probability_diff": float(np.abs(softmax(t["logits"]) - softmax(o["logits"])).max()),
            **{f"{k}_{w}": _short(res[w][k]) for k in ("metrics", "metrics_tta") for w in ("torch", "onnx")},
            "metric_change_points": _change(t, o), **({"onnx_logits": o["logits"]} if keep_logits else {})}


def _short(m: dict) -> dict:
    keys = ("accuracy", "balanced_accuracy", "auc", "sensitivity", "specificity", "per_class_recall")
    return {k: m[k] for k in keys if k in m}


def _change(t, o) -> dict:
    """ONNX minus torch, in percentage points, for the headline metrics (both procedures)."""
    out = {}
    for k in ("metrics", "metrics_tta"):
        for m in ("accuracy", "balanced_accuracy", "auc"):
            a, b = t[k].get(m), o[k].get(m)
            if a is not None and b is not None:
                out[f"{m}{'_tta' if k == 'metrics_tta' else ''}"] = round(100 * (b - a), 3)
    return out


def record_in_card(model: LoadedModel, int8: bool, path: Path, check: dict, extra: dict, flags: str = "") -> dict:
    entry = {"file": path.name, "sha256": sha256_file(path), "size_bytes": path.stat().st_size,
             "source_weights_sha256": model.card.get("sha256"), "opset": OPSET, "exporter": EXPORTER,
             **extra, "validation_vs_torch": check, "command": export_command(model.name, int8) + flags,
             "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")}
    cp = card_path_for(model.weights_path)
    card = json.loads(cp.read_text())
    card.setdefault("onnx", {})[KINDS[int8]] = entry
    if int8:
        sync_training_commands(card, entry["command"])
    cp.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
    model.card.setdefault("onnx", {})[KINDS[int8]] = entry
    return entry


def sync_training_commands(card: dict, command: str) -> None:
    """The card's list of commands that made the model names the export that was actually run (adopt_2d writes
    the default one before the export; e.g. --selection 0 would otherwise be lost)."""
    commands = (card.get("training") or {}).get("commands") or []
    head = command.split(" --int8")[0]
    for i, c in enumerate(commands):
        if c.startswith(head + " ") or c == head:
            commands[i] = command


SELECTION_N = 1500  # training images that choose the float-check margin unless told otherwise


def export_model(model: LoadedModel, data: dict, int8: bool, calibration_n: int = 256, seed: int = 0,
                 selection_n: int = SELECTION_N) -> dict:
    """Float export (always) and, with int8, the calibrated export; each checked and written into the card.
    data: {"val_images", "val_labels", "train_images"} from validation_data()."""
    contract = model.config.input
    out = {}
    fp = export_float(model, export_path(model.weights_path, False))
    check = compare(model, fp, data["val_images"], data["val_labels"], contract)
    out["float"] = record_in_card(model, False, fp, check, {"split": data["split"]})
    if int8:
        out["int8"] = export_int8(model, fp, data, calibration_n, seed, selection_n)
    return out


def export_int8(model: LoadedModel, fp: Path, data: dict, calibration_n: int, seed: int,
                selection_n: int) -> dict:
    """Static int8 calibrated on training images; the float-check margin chosen on other training images; both
    checked on the validation images (with the check, and int8 alone) and written into the card.
    selection_n 0: every training image calibration did not use."""
    contract = model.config.input
    tr = data["train_images"]
    order = np.random.default_rng(seed).permutation(len(tr))
    calib = tr[order[:min(calibration_n, len(tr))]]
    selection = tr[order[min(calibration_n, len(tr)):]][:selection_n or None]
    qp = export_path(model.weights_path, True)
    how = quantise_int8(fp, qp, calib, contract)
    threads = torch.get_num_threads()
    int8_fwd, float_fwd = OnnxModule(qp, threads), OnnxModule(fp, threads)
    float_check = choose_check_margin(model, int8_fwd, selection, contract)
    checked = CheckedInt8Module(int8_fwd, float_fwd, float_check["margin"])
    check = compare(model, qp, data["val_images"], data["val_labels"], contract, forward=checked)
    alone = compare(model, qp, data["val_images"], data["val_labels"], contract, forward=int8_fwd, keep_logits=True)
    z = alone.pop("onnx_logits")  # int8 alone on the validation images: which of them the check recomputes
    float_check["validation"] = {
        "rechecked_fraction": round(float(checked.close_calls(torch.from_numpy(z)).float().mean()), 4),
        "int8_alone_identical_answers": alone["identical_answers"],
        "int8_alone_different_answers": alone["different_answers"],
        "int8_alone_metric_change_points": alone["metric_change_points"]}
    flags = "" if selection_n == SELECTION_N else f" --selection {selection_n}"  # the command that redoes it
    return record_in_card(model, True, qp, check, {"quantisation": how, "float_check": float_check,
                                                   "split": data["split"]}, flags)


def choose_check_margin(model: LoadedModel, int8_fwd, images: np.ndarray, contract: dict) -> dict:
    """The top-two logit margin under which an int8 answer is re-checked by the float model: 1.5 x the largest
    margin of an int8 answer that differs from torch, on training images that calibration did not see (never
    the validation images the card reports)."""
    zt = logits_of(model.module, images, contract)
    zq = logits_of(int8_fwd, images, contract)
    s = np.sort(zq, 1)
    gap = s[:, -1] - s[:, -2]
    changed = zt.argmax(1) != zq.argmax(1)
    margin = round(1.5 * float(gap[changed].max()), 4) if changed.any() else 0.0
    return {"margin": margin, "rule": "1.5 x the largest top-two logit margin of a changed int8 answer on the "
                                      "selection images",
            "selection_images": int(len(images)), "selection": "training part of the split, not calibrated on",
            "selection_changed_answers": int(changed.sum()),
            "selection_changed_margins": [round(float(g), 4) for g in np.sort(gap[changed])],
            "selection_rechecked_fraction": round(float((gap < margin).mean()), 4)}


def validation_data(model: LoadedModel, data_dir) -> dict:
    """The card's train/validation split of the model's training data (same loader, group_split, seed, fraction)."""
    from pathlib import Path
    from nets.training.splits_2d import train_val_split_2d
    split = model.card.get("split") or {}
    ds, tr, va = train_val_split_2d(model.config.task, Path(data_dir).parent, model.config,  # data_dir: task folder
                                    val_fraction=split.get("val_fraction", 0.2), seed=split.get("seed", 0))
    expected = split.get("n_val_images")
    if expected is not None and expected != len(va):
        raise SystemExit(f"the validation split has {len(va)} images, the card says {expected}: not the same data")
    return {"val_images": ds.images[va], "val_labels": ds.labels[va], "train_images": ds.images[tr],
            "split": {"data": str(data_dir), "method": split.get("method"), "seed": split.get("seed", 0),
                      "val_fraction": split.get("val_fraction", 0.2), "n_val_images": int(len(va)),
                      "calibration_from": "training part of the same split"}}
