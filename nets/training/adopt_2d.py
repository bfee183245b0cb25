"""Compare a fine-tuned 2D model with the committed one on the same validation split; install it only if better.

    python -m nets.training.adopt_2d skin --candidate cache/skin_ft.pt [--install]
    python -m nets.training.adopt_2d chest --candidate cache/chest_ft.pt [--install]

Figures are one forward pass per image, as the service answers. Skin is judged on balanced accuracy, chest on
specificity at the validation threshold for sensitivity >= 0.95 over the validation films and their shifted copies
(nets.training.shift_eval_2d; AUC must not drop). With --install the weights (chest: the threshold folded into the
output bias, recorded as `decision_prior` and `decision_threshold`) and the card are written to data/model_save;
then refit the gate and temperature (python -m nets.fit_trust TASK) and re-export ONNX (python -m nets.export).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK
from nets.networks import SmallResNet2D
from nets.training import evaluate_2d as ev
from nets.training.finetune_2d import SHARED
from nets.training.metrics import classification_metrics
from nets.training.model_card import sha256_file
from nets.training.splits_2d import image_source, train_val_split_2d
from nets.training.train_image_classifier import predict_probs

CACHE = Path("cache")
CHEST_SHIFTS = ("none", "centre_crop_0.8", "border_mask_12pct", "zoom_out_0.85", "gamma_0.7", "contrast_1.3")
SHIFT_SUBSET_PER_CLASS = 260


def cached_probs(weights, cfg, images, tag) -> np.ndarray:
    """Softmax outputs (no TTA), cached per weights file and image set so each model is run once."""
    path = CACHE / f"probs_{tag}_{sha256_file(weights)[:12]}.npy"
    if path.exists():
        return np.load(path)
    model = SmallResNet2D.from_weights(cfg.arch_kwargs, weights)
    p = predict_probs(model, images, cfg.input, tta=False)
    np.save(path, p)
    return p


# skin: a flat or round frame (a camera's, an archive's, a dermoscope's field of view) must not make the answer
SKIN_FRAME_SHIFTS = ("black_frame_4pct", "border_mask_12pct", "white_frame_8pct", "round_field_1.0", "round_field_1.2")


def shift_subset(labels_val, va, n_classes=2) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.sort(np.concatenate([rng.permutation(va[labels_val == c])[:SHIFT_SUBSET_PER_CLASS]
                                   for c in range(n_classes)]))


def chest_figures(weights, cfg, ds, va, target=0.95) -> dict:
    from nets.training.shift_eval_2d import SHIFTS
    p = cached_probs(weights, cfg, ds.images[va], "chest_val")
    sub = shift_subset(ds.labels[va], va)
    shifted = {s: cached_probs(weights, cfg, SHIFTS[s](ds.images[sub]), f"chest_{s}") for s in CHEST_SHIFTS[1:]}
    y, ys = ds.labels[va], ds.labels[sub]
    pooled_y = np.concatenate([y] + [ys] * len(shifted))
    pooled_s = np.concatenate([p[:, 1]] + [q[:, 1] for q in shifted.values()])
    t = ev.threshold_for_sensitivity(pooled_y, pooled_s, target)
    per_shift = {"none": dict(zip(("sensitivity", "specificity"), ev.sens_spec(y, p[:, 1], t)))}
    for s, q in shifted.items():
        per_shift[s] = dict(zip(("sensitivity", "specificity"), ev.sens_spec(ys, q[:, 1], t)))
        per_shift[s]["auc"] = classification_metrics(ys, q, list(cfg.classes))["auc"]
    se, sp = ev.sens_spec(pooled_y, pooled_s, t)
    return {"probs": p, "threshold": t, "pooled_sensitivity": se, "pooled_specificity": sp,
            "auc": classification_metrics(y, p, list(cfg.classes))["auc"], "per_shift": per_shift,
            "n_shift_subset": int(len(sub))}


def skin_frame_figures(weights, cfg, ds, va) -> dict:
    """Balanced accuracy on the validation photos and on up to 260 per class of them under each frame shift; the
    pooled figure counts every copy."""
    from nets.training.shift_eval_2d import SKIN_SHIFTS
    classes = list(cfg.classes)
    p = cached_probs(weights, cfg, ds.images[va], "skin_val")
    sub = shift_subset(ds.labels[va], va, len(classes))
    shifted = {s: cached_probs(weights, cfg, SKIN_SHIFTS[s](ds.images[sub]), f"skin_{s}") for s in SKIN_FRAME_SHIFTS}
    mel = classes.index("MEL")
    per_shift = {s: {"balanced_accuracy": classification_metrics(ds.labels[sub], q, classes)["balanced_accuracy"],
                     "answers_mel": float((q.argmax(1) == mel).mean())} for s, q in shifted.items()}
    pooled = classification_metrics(np.concatenate([ds.labels[va]] + [ds.labels[sub]] * len(shifted)),
                                    np.concatenate([p] + list(shifted.values())), classes)
    return {"pooled_balanced_accuracy": pooled["balanced_accuracy"], "per_shift": per_shift,
            "n_shift_subset": int(len(sub))}


def probs_at_threshold(p: np.ndarray, t: float) -> np.ndarray:
    """softmax(z + offsets): the probabilities the folded-threshold weights give."""
    a, b = p[:, 0] * t, p[:, 1] * (1 - t)
    return np.stack([a, b], 1) / (a + b)[:, None]


def validation_block(task, cfg, ds, va, p, extra=None) -> dict:
    classes = list(cfg.classes)
    pos = "PNEUMONIA" if task == "chest" else None
    m = classification_metrics(ds.labels[va], p, classes, positive=pos)
    m["bootstrap_ci_95"] = ev.bootstrap_ci(ds.labels[va], p, ds.groups[va], classes, positive=pos)
    m["bootstrap"] = "300 resamples of whole patients / lesions, percentile intervals"
    if task == "skin":
        m["ham7"] = ev.ham7_recall(ds.labels[va], p.argmax(1), classes)
        m["recall_by_source"] = ev.recall_by_source(ds.labels[va], p.argmax(1),
                                                    [image_source(ds.files[i]) for i in va], classes)
    m["how"] = "one forward pass per image, no test-time augmentation (as the service answers)"
    m.update(extra or {})
    return m


def split_entry(task, ds, tr, va, cfg) -> dict:
    k = len(cfg.classes)
    src = np.array([image_source(f) for f in ds.files])
    return {"method": ("by patient (nets.training.splits_2d.chest_split)" if task == "chest" else
                       "by lesion over skin_lesions + skin_ham10000 together (nets.training.splits_2d.skin_split: "
                       "skin_lesions lesions keep the committed model's assignment, lesions in both folders follow "
                       "it, lesions only in skin_ham10000 are split 80/20 stratified by label)"),
            "val_fraction": 0.2, "seed": 0, "n_train_images": int(len(tr)), "n_val_images": int(len(va)),
            "n_train_groups": int(len(set(ds.groups[tr]))), "n_val_groups": int(len(set(ds.groups[va]))),
            "train_class_counts": dict(zip(cfg.classes, map(int, np.bincount(ds.labels[tr], minlength=k)))),
            "val_class_counts": dict(zip(cfg.classes, map(int, np.bincount(ds.labels[va], minlength=k)))),
            "val_images_by_source": {s: int((src[va] == s).sum()) for s in sorted(set(src))},
            "exact_duplicates_removed": True}


def install(task, cfg, candidate, card, offsets=None) -> Path:
    """Copy the weights (chest: threshold folded into the output bias) next to the card; returns the path."""
    from nets.networks.prior_shift import apply_prior_shift
    dest = Path(cfg.weights)
    if offsets is None:
        shutil.copyfile(candidate, dest)
    else:
        model = SmallResNet2D.from_weights(cfg.arch_kwargs, candidate)
        apply_prior_shift(model, offsets)
        torch.save(model.state_dict(), dest)
    for stale in ("onnx", "input_gate", "calibration", "explanation_checks", "sanity_check"):
        if stale in card:
            card.setdefault("superseded_by_retraining", []).append(stale)
    card.update({"weights_file": dest.name, "sha256": sha256_file(dest), "size_bytes": dest.stat().st_size,
                 "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"), "trained": True})
    card_path = dest.with_name(dest.stem + ".card.json")
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
    return card_path


def save_plots(task, cfg, ds, va, p, history) -> dict:
    from nets.render.plots import save_confusion_matrix, save_roc_curves, save_training_curves
    from nets.training.metrics import roc_points
    plot_dir = Path(cfg.weights).parent / (Path(cfg.weights).stem + "_plots")
    plot_dir.mkdir(exist_ok=True)
    classes = list(cfg.classes)
    m = classification_metrics(ds.labels[va], p, classes)
    files = {"confusion_matrix": save_confusion_matrix(m["confusion_matrix"], classes, plot_dir / "confusion_matrix.png",
                                                       f"{cfg.name}: validation"),
             "roc": save_roc_curves(roc_points(ds.labels[va], p, classes), plot_dir / "roc.png")}
    if history:
        curves = [{**h, "val_loss": h.get("val_loss", float("nan"))} for h in history]  # fine-tuning logs no val loss
        files["training_curves"] = save_training_curves(curves, plot_dir / "training_curves.png")
    return {k: str(Path(v).relative_to(plot_dir.parent)) for k, v in files.items()}


def compare(task, cfg, ds, va, candidate, target, max_auc_drop=0.005, frames_pool=False,
            max_bacc_drop=0.02) -> dict:
    old = Path(cfg.weights)
    if task == "skin" and frames_pool:
        res = compare(task, cfg, ds, va, candidate, target)
        f_old, f_new = (skin_frame_figures(w, cfg, ds, va) for w in (old, candidate))
        res["old"]["frames"], res["new"]["frames"] = f_old, f_new
        # framed copies decide, as long as the plain photos lose at most max_bacc_drop of balanced accuracy
        res["better"] = (f_new["pooled_balanced_accuracy"] > f_old["pooled_balanced_accuracy"] and
                         res["new"]["balanced_accuracy"] >= res["old"]["balanced_accuracy"] - max_bacc_drop)
        return res
    if task == "skin":
        p_old, p_new = (cached_probs(w, cfg, ds.images[va], "skin_val") for w in (old, candidate))
        m_old, m_new = (classification_metrics(ds.labels[va], p, list(cfg.classes)) for p in (p_old, p_new))
        brief = lambda m, p: {"balanced_accuracy": m["balanced_accuracy"], "auc": m["auc"],  # noqa: E731
                              "per_class_recall": m["per_class_recall"],
                              "ham7_mean_recall": ev.ham7_recall(ds.labels[va], p.argmax(1), list(cfg.classes))[
                                  "mean_recall"]}
        return {"better": m_new["balanced_accuracy"] > m_old["balanced_accuracy"], "p_new": p_new,
                "old": brief(m_old, p_old), "new": brief(m_new, p_new)}
    f_old, f_new = (chest_figures(w, cfg, ds, va, target) for w in (old, candidate))
    strip = lambda f: {k: v for k, v in f.items() if k != "probs"}  # noqa: E731
    # the pooled (shifted) specificity decides: clean validation films share the training folder's cues
    better = f_new["pooled_specificity"] > f_old["pooled_specificity"] and f_new["auc"] >= f_old["auc"] - max_auc_drop
    return {"better": better, "p_new": f_new["probs"], "old": strip(f_old), "new": strip(f_new)}


def _threads_of(command: str) -> int:
    """The --threads of the training command (finetune_2d's default is 1)."""
    import re
    m = re.search(r"--threads[ =](\d+)", command or "")
    return int(m.group(1)) if m else 1


def kept_and_hidden_squares(history) -> dict:
    """The fine-tuning's --keep last, --swa-from and --patch-blur, when used (nets/training/finetune_2d.py)."""
    out, best = {}, (history or {}).get("best", {})
    if best.get("kept") == "last":
        out["kept_epoch"] = best.get("epoch_kept")
        out["selection"] = ("the last epoch of the schedule was kept, not the best-scoring one (the score's "
                            "balanced accuracy at argmax moves with the threshold, which adoption chooses again on "
                            "validation)")
    swa = (history or {}).get("swa")
    if best.get("kept") == "weight average" and swa:
        out["kept_epoch"] = best.get("epoch_kept")
        out["optimizer"] = (f"AdamW (weight decay 5e-4), constant learning rate {swa['lr']:g} from epoch "
                            f"{swa['from_epoch']} on")
        out["selection"] = (f"no epoch chosen: stochastic weight averaging (Izmailov et al. 2018), the mean of the "
                            f"weights after epochs {swa['from_epoch']}-{best.get('epoch_kept')} "
                            f"({swa['epochs_averaged']} epochs), BatchNorm statistics recomputed on augmented "
                            "training batches (nets/training/weight_average.py)")
    if (history or {}).get("patch_blur"):
        out["hidden_squares"] = (f"{history['patch_blur']:.0%} of training images had 0-100 % of their 8 px squares "
                                 "replaced by the blurred image, as the faithfulness check hides them, label kept "
                                 "(nets/training/blur_patches.py; ROAR, Hooker et al. 2019)")
    return out


def training_entry(task, cfg, old_card, candidate, train_command, history) -> dict:
    prev = {k: v for k, v in (old_card.get("training") or {}).items() if k not in ("history", "plots")}
    return {
        "fine_tuned_from": {"weights": Path(cfg.weights).name, "sha256": old_card.get("sha256"),
                            "date": old_card.get("date"), "its_training": prev},
        "commands": [train_command, f"python -m nets.training.adopt_2d {task} --candidate {candidate} --install",
                     f"python -m nets.fit_trust {task}", f"python -m nets.export onnx --model {cfg.name} --int8"],
        "threads": _threads_of(train_command), "best_epoch": (history or {}).get("best", {}).get("epoch"),
        "optimizer": "AdamW (weight decay 5e-4), 5 % linear warm-up then cosine", "batch_size": 48,
        "frozen": ("stem and first residual stage (BatchNorm statistics too)" if "--freeze-early" in train_command
                   else "nothing: every layer trained"),
        "loss": ("cross-entropy, label smoothing 0.05; skin: class-balanced in expectation (sqrt-inverse-frequency "
                 "sampling x sqrt-inverse-frequency class weights); chest: inverse-frequency class weights"),
        "augmentation": ("nets/training/augment_strong_2d.py: " + ("full rotation, flips, zoom 0.7-1.15, aspect "
                         "+-20 %, down-up resize (resolution / resize-kernel changes, so the two folders' resizes "
                         "are no cue), per-channel gain, saturation, gamma, contrast, brightness" if task == "skin"
                         else "zoom 0.7-1.05, rotation +-10 deg, shift, aspect +-15 %, down-up resize, gamma "
                         "0.6-1.7, contrast 0.6-1.4, brightness, random dark borders, bright edge marks (like text "
                         "markers), noise")),
        "selection": "best epoch on the validation split (skin: balanced accuracy on at most 300 images per "
                     "class; chest: AUC + balanced accuracy); epoch 0 = the committed model",
        **kept_and_hidden_squares(history),  # --keep last replaces "selection"
        "history": (history or {}).get("history", []),
    }


def check_input_size(candidate, cfg) -> None:
    """A candidate trained at another side (finetune_2d --size) would be judged and served at the config's: refuse."""
    hist = Path(candidate).with_name(Path(candidate).stem + ".history.json")
    size = json.loads(hist.read_text()).get("input_size") if hist.exists() else None
    if size and size != cfg.input.size:
        raise SystemExit(f"{candidate} was trained at {size} px, but {cfg.name} takes {cfg.input.size} px "
                         "(nets/model_configs.py): change the contract there first, then compare")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("task", choices=["chest", "skin"])
    ap.add_argument("--candidate", required=True)
    ap.add_argument("--install", action="store_true")
    ap.add_argument("--target-sensitivity", type=float, default=0.95)
    ap.add_argument("--train-command", default="")
    ap.add_argument("--max-auc-drop", type=float, default=0.005,
                    help="chest: clean-validation AUC the candidate may lose (the shifted pool's specificity decides)")
    ap.add_argument("--frames-pool", action="store_true",
                    help="skin: judge on the validation photos pooled with framed copies (SKIN_FRAME_SHIFTS); the "
                         "plain photos' balanced accuracy may drop by at most --max-bacc-drop")
    ap.add_argument("--max-bacc-drop", type=float, default=0.02)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    CACHE.mkdir(exist_ok=True)
    cfg = CONFIGS[DEFAULT_MODEL_FOR_TASK[a.task]]
    check_input_size(a.candidate, cfg)
    ds, tr, va = train_val_split_2d(a.task, SHARED, cfg)
    res = compare(a.task, cfg, ds, va, a.candidate, a.target_sensitivity, a.max_auc_drop, a.frames_pool,
                  a.max_bacc_drop)
    p_new = res.pop("p_new")
    out = {"task": a.task, "candidate": a.candidate, **res, "installed": False}
    # chest: the committed weights themselves may be re-installed with the validation threshold folded in
    same = a.task == "chest" and sha256_file(a.candidate) == sha256_file(cfg.weights) and "decision_prior" not in \
        json.loads(Path(cfg.weights).with_name(Path(cfg.weights).stem + ".card.json").read_text())
    if a.install and (res["better"] or same):
        card_path = Path(cfg.weights).with_name(Path(cfg.weights).stem + ".card.json")
        card = json.loads(card_path.read_text())
        hist_path = Path(a.candidate).with_name(Path(a.candidate).stem + ".history.json")
        history = json.loads(hist_path.read_text()) if hist_path.exists() else None
        offsets, extra = None, {}
        if a.task == "chest":
            t = res["new"]["threshold"]
            offsets = ev.logit_offsets_for_threshold(t)
            p_new = probs_at_threshold(p_new, t)
            card["decision_threshold"] = {
                "class": "PNEUMONIA", "threshold": round(t, 6), "target_sensitivity": a.target_sensitivity,
                "chosen_on": (f"validation films ({len(va)}) pooled with {res['new']['n_shift_subset']} of them under "
                              f"each of {', '.join(CHEST_SHIFTS[1:])}: the largest threshold with sensitivity >= "
                              f"{a.target_sensitivity} (nets.training.adopt_2d)"),
                "pooled_sensitivity": round(res["new"]["pooled_sensitivity"], 4),
                "pooled_specificity": round(res["new"]["pooled_specificity"], 4),
                "per_shift": res["new"]["per_shift"],
                "applied": "as decision_prior: the predictor's argmax is PNEUMONIA iff p(PNEUMONIA) >= threshold"}
            card["decision_prior"] = {
                "prior": {"NORMAL": t, "PNEUMONIA": 1 - t}, "training_prior": {"NORMAL": 0.5, "PNEUMONIA": 0.5},
                "logit_offsets": offsets, "training_weights_sha256": sha256_file(a.candidate),
                "applied": "log(prior / training prior) added to the last linear layer's bias in this weights file "
                           "by python -m nets.training.adopt_2d (nets/networks/prior_shift.py)",
                "why": "the decision threshold for sensitivity >= 0.95 chosen on validation (decision_threshold)"}
        card["split"] = split_entry(a.task, ds, tr, va, cfg)
        card["training"] = training_entry(a.task, cfg, card, a.candidate, a.train_command, history)
        card["training"]["plots"] = save_plots(a.task, cfg, ds, va, p_new, card["training"]["history"])
        card["metrics"] = {"validation": validation_block(a.task, cfg, ds, va, p_new, extra),
                           "previous_model_same_validation": res["old"]}
        if a.task == "skin":
            card["training_data"] = ("ISIC Archive / HAM10000 dermoscopy: skin_lesions (2,101 images, 180x180) + "
                                     "skin_ham10000 (6,927 images, 192x192), both resized to 144x144; split by lesion")
        out["card"] = str(install(a.task, cfg, a.candidate, card, offsets))
        out["installed"] = True
    (CACHE / f"{a.task}_adopt.json").write_text(json.dumps(out, indent=1, default=float))
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    sys.exit(main())
