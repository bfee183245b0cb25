"""CLI: python -m nets.evaluate {chest,skin} DIR   (one sub-folder per class, folder names = class names)
        python -m nets.evaluate mri [DATA_DIR] [--subjects sub-01,...]   (simulated atrophy on held-out subjects)

Prints JSON metrics and writes plots (confusion matrix, ROC) to --out.
"""
import argparse
import json
from pathlib import Path

import numpy as np

from nets import SHARED_DATA
from nets.cli_contract import JsonArgumentParser, exit_process, run_cli
from nets.errors import ModelUnavailableError


def main(argv=None):
    ap = JsonArgumentParser(prog="python -m nets.evaluate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task", choices=["chest", "skin", "mri"])
    ap.add_argument("data", nargs="?")
    ap.add_argument("--model")
    ap.add_argument("--weights")
    ap.add_argument("--out", default="imgs/evaluation")
    ap.add_argument("--subjects", help="mri: comma-separated subject ids (default: the card's validation subjects)")
    ap.add_argument("--update-card", action="store_true",
                    help="mri: re-run the card's own held-out evaluation and write it into the card next to the weights")
    ap.add_argument("--lrp-rule", choices=["epsilon-plus", "epsilon"], default="epsilon-plus",
                    help="mri: LRP rule for the relevance-concentration check (the page uses epsilon-plus)")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    from nets.registry import REGISTRY
    m = REGISTRY.get(a.model, task=a.task, weights=a.weights)
    out = Path(a.out) / m.name
    out.mkdir(parents=True, exist_ok=True)
    if a.task == "mri" and a.update_card:
        from nets.training.train_brain_model import refresh_card_metrics
        if not m.trained:
            raise ModelUnavailableError(f"{m.name} has no trained weights to evaluate")
        res = refresh_card_metrics(m, a.data or SHARED_DATA, progress=not a.no_progress)
    elif a.task == "mri":
        from nets.data.brain_subjects import load_subjects
        from nets.evaluation.brain_stage import evaluate_brain_model
        split = m.card.get("split", {})
        subs = a.subjects.split(",") if a.subjects else split.get("val_subjects")
        # those subjects and the card's training ones (the occlusion check's reference); no card split: all brains
        only = None if subs is None else subs + [s for s in split.get("train_subjects", []) if s not in subs]
        brains = load_subjects(a.data or SHARED_DATA, progress=not a.no_progress, only=only)
        subs = subs or list(brains)
        res = evaluate_brain_model(m.module, brains, subs, seed=2024, reps=1, progress=not a.no_progress,
                                   plot_dir=out, data_dir=a.data or SHARED_DATA, lrp_rule=a.lrp_rule)
    else:
        from nets.data.image_folder import load_image_folder
        from nets.render.plots import save_confusion_matrix, save_roc_curves
        from nets.training.metrics import classification_metrics, roc_points
        from nets.training.train_image_classifier import predict_probs
        c = m.config
        ds = load_image_folder(a.data, c.classes, c.input["size"], c.input["mode"], dedupe=False,
                               progress=not a.no_progress)
        probs = predict_probs(m.module, ds.images, c.input)
        res = classification_metrics(ds.labels, probs, list(c.classes),
                                     positive=c.positive_class)
        res["plots"] = {
            "confusion_matrix": save_confusion_matrix(res["confusion_matrix"], list(c.classes),
                                                      out / "confusion_matrix.png"),
            "roc": save_roc_curves(roc_points(ds.labels, probs, list(c.classes)), out / "roc.png")}
    res["model"] = m.name
    print(json.dumps(res, indent=2, default=lambda o: o.tolist() if isinstance(o, np.ndarray) else str(o)))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
