"""Does test-time augmentation pay? A 2D model's validation figures with its outputs averaged over flipped and
rotated views (the service answers with one view).

    python -m nets.training.tta_eval_2d skin [--weights W]

Views: none; + horizontal flip; the four flips; the eight symmetries of the square (flips and 90-degree turns;
a dermoscopy photo has no "up"). Logits are averaged over the views. Prints JSON: balanced accuracy, macro AUC and
(skin) the HAM 7-class mean recall per view set.
"""
from __future__ import annotations

import json

import numpy as np
import torch
import torch.nn.functional as F

from nets.training.metrics import classification_metrics

FLIPS = (lambda x: x, lambda x: x.flip(3), lambda x: x.flip(2), lambda x: x.flip(2).flip(3))
VIEWS = {"none": FLIPS[:1], "hflip": FLIPS[:2], "flips4": FLIPS,
         "dihedral8": FLIPS + tuple(lambda x, f=f: f(x.transpose(2, 3)) for f in FLIPS)}


@torch.no_grad()
def logits_per_view(model, images, contract) -> np.ndarray:
    """(n_views, n_images, n_classes) logits for VIEWS['dihedral8'] (the others are its leading views)."""
    from nets.onnx_export import logits_of
    model.eval()
    return np.stack([logits_of(lambda x, f=f: model(f(x)), images, contract) for f in VIEWS["dihedral8"]])


def tta_report(labels, logits, classes, ham7=False) -> dict:
    from nets.training import evaluate_2d as ev
    rep = {}
    for name, views in VIEWS.items():
        p = F.softmax(torch.from_numpy(logits[:len(views)].mean(0)), 1).numpy()
        m = classification_metrics(labels, p, classes)
        rep[name] = {"views": len(views), "balanced_accuracy": round(m["balanced_accuracy"], 4),
                     "auc": round(m["auc"], 4)}
        if ham7:
            rep[name]["ham7_mean_recall"] = round(ev.ham7_recall(labels, p.argmax(1), classes)["mean_recall"], 4)
    return rep


def main(argv=None):
    from nets.cli_contract import JsonArgumentParser
    from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK
    from nets.networks import SmallResNet2D
    from nets.training.finetune_2d import SHARED
    from nets.training.splits_2d import train_val_split_2d
    ap = JsonArgumentParser(prog="python -m nets.training.tta_eval_2d", description=__doc__.splitlines()[0])
    ap.add_argument("task", choices=["chest", "skin"])
    ap.add_argument("--weights", default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    cfg = CONFIGS[DEFAULT_MODEL_FOR_TASK[a.task]]
    ds, _, va = train_val_split_2d(a.task, SHARED, cfg)
    model = SmallResNet2D.from_weights(cfg.arch_kwargs, a.weights or cfg.weights)
    logits = logits_per_view(model, ds.images[va], cfg.input)
    print(json.dumps({"weights": str(a.weights or cfg.weights), "n": int(len(va)),
                      "views": tta_report(ds.labels[va], logits, list(cfg.classes), ham7=a.task == "skin")},
                     indent=1))
    return 0


if __name__ == "__main__":
    from nets.cli_contract import exit_process, run_cli
    exit_process(run_cli(main))
