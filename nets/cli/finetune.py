"""CLI: python -m nets.finetune {chest,skin} --feedback feedback/ [--init W] [--out DIR] [--model NAME] [--epochs N]
[--replay N] [--lr LR] [--data SHARED] [--val-limit N]

Fine-tunes the task's model (default: its default model; --init: start from these weights) on the users' labelled
examples in the feedback folder (nets/feedback/store.py; the latest label per input; inputs that are validation
images are left out) plus a replay sample of the original training images (default: 4 per feedback example, at
least 64), with nets/feedback/finetune.py. Prints JSON: before / after metrics on the fixed validation split
(nets/training/splits_2d.py) and on the feedback set, and whether the new weights may be the default (not when
validation balanced accuracy drops by more than 1 point). Writes OUT/<model>_feedback_<time>.pt and its card (with
the number of feedback examples, the decision and this command). A user's label is not a diagnosis: read the
README's paragraph on the loop before installing such weights (python demo01.py --weights NAME=PATH).
"""
import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from nets import PROJECT_ROOT, SHARED_DATA
from nets.cli_contract import JsonArgumentParser, exit_process, run_cli
from nets.errors import InputError


def feedback_examples(rows: list, classes: list, validation_sha: set) -> tuple:
    """(raw inputs, labels, report): the latest label per input; validation images left out."""
    latest = {}
    for r in rows:
        latest[r["sha256"]] = r
    keep = [r for s, r in latest.items() if s not in validation_sha]
    report = {"lines": len(rows), "inputs": len(latest), "used": len(keep), "left_out_validation_images":
              len(latest) - len(keep), "corrections": sum(1 for r in keep if not r.get("agrees"))}
    raws = [Path(r["path"]).read_bytes() for r in keep]
    return raws, np.array([classes.index(r["label"]) for r in keep], np.int64), report


def _decode(raws, contract):
    from nets.io.image_loader import load_image_array
    if not raws:
        shape = (0, contract["size"], contract["size"]) + ((3,) if contract["mode"] == "RGB" else ())
        return np.zeros(shape, np.uint8)
    return np.stack([load_image_array(r, size=contract["size"], mode=contract["mode"]) for r in raws])


def main(argv=None) -> int:
    ap = JsonArgumentParser(prog="python -m nets.finetune", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task", choices=["chest", "skin"])
    ap.add_argument("--feedback", default=str(PROJECT_ROOT / "feedback"), help="the feedback folder")
    ap.add_argument("--init", help="start from these weights (default: the model's own)")
    ap.add_argument("--out", default=str(PROJECT_ROOT / "data" / "model_save" / "finetuned"))
    ap.add_argument("--model", help="the task's model to fine-tune (default: its default model)")
    ap.add_argument("--data", default=str(SHARED_DATA), help="the shared data folder (replay and validation)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--replay", type=int, help="training images replayed (default: 4 per feedback example, >= 64)")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--val-limit", type=int, help="only N validation images (smoke runs; the decision then is weak)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    import torch
    from nets.feedback.finetune import finetune_and_check
    from nets.feedback.store import read_feedback
    from nets.model_comparison import split_files
    from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK
    from nets.registry import REGISTRY
    from nets.training.model_card import sha256_file, write_card
    name = a.model or DEFAULT_MODEL_FOR_TASK[a.task]
    if name not in CONFIGS or CONFIGS[name].task != a.task:
        raise InputError(f"'{name}' is not a {a.task} model.")
    loaded = REGISTRY.get(name, weights=a.init)
    cfg, classes, contract = loaded.config, list(loaded.config.classes), loaded.config.input
    rows = read_feedback(a.feedback, a.task)
    if not rows:
        raise InputError(f"No {a.task} feedback in {a.feedback} (python -m gui.logs shows what is there).")
    files, labels, _, tr, va = split_files(a.task, a.data, classes, seed=a.seed)
    rng = np.random.default_rng(a.seed)
    va = np.sort(rng.permutation(va)[:a.val_limit]) if a.val_limit else va
    val_raw = [files[i].read_bytes() for i in va]
    raws, fb_labels, fb_report = feedback_examples(rows, classes, {hashlib.sha256(r).hexdigest() for r in val_raw})
    if not raws:
        raise InputError("Every feedback input is a validation image: nothing left to fine-tune on.")
    n_replay = a.replay if a.replay is not None else max(64, 4 * len(raws))
    rep = rng.choice(tr, size=min(n_replay, len(tr)), replace=False)
    torch.set_num_threads(1)
    r = finetune_and_check(loaded.module, classes, contract, a.task, (_decode(raws, contract), fb_labels),
                           (_decode([files[i].read_bytes() for i in rep], contract), labels[rep]),
                           (_decode(val_raw, contract), labels[va]), epochs=a.epochs, lr=a.lr, seed=a.seed)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    weights = out / f"{name}_feedback_{dt.datetime.now(dt.timezone.utc).strftime('%Y%m%d-%H%M%S')}.pt"
    torch.save(r["module"].state_dict(), weights)
    command = "python -m nets.finetune " + " ".join(sys.argv[1:] if argv is None else argv)
    finetune = {"feedback": fb_report, "n_feedback_examples": fb_report["used"], "n_replay_images": int(len(rep)),
                "init_weights": loaded.weights_path, "init_sha256": sha256_file(loaded.weights_path)
                if loaded.weights_path else None, "before": r["before"], "after": r["after"], **r["decision"],
                "command": command, "label_source": "users' feedback (not a diagnosis; not checked by us)"}
    split = {"method": "nets.training.splits_2d", "n_val_images": int(len(va)), "val_limit": a.val_limit}
    card = write_card(cfg, weights, {"validation": r["after"]["validation"]}, split, r["training"],
                      extra={"finetune": finetune, "trained": True})
    print(json.dumps({"task": a.task, "model": name, "weights": str(weights), "card": str(card), **finetune,
                      "training": r["training"]}, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
