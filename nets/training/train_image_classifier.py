"""Train a 2D classifier (chest or skin) from scratch: group split, imbalance handling, resumable, model card."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from nets.data.image_folder import chest_patient_id, load_image_folder, skin_groups
from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK
from nets import networks
from nets.errors import InputError
from nets.render.plots import save_confusion_matrix, save_roc_curves, save_training_curves
from nets.training.augment_2d import augment_batch
from nets.training.group_split import group_split
from nets.training.metrics import classification_metrics, roc_points
from nets.training.model_card import write_card
from nets.transforms.image_to_tensor import image_to_tensor


def load_task_data(task: str, data_dir, cfg, progress=True):
    root = Path(data_dir)
    if task == "chest":
        return load_image_folder(root, cfg.classes, cfg.input["size"], cfg.input["mode"],
                                 group_fn=lambda p: chest_patient_id(p.name), progress=progress)
    lesions = skin_groups(root)
    return load_image_folder(root, cfg.classes, cfg.input["size"], cfg.input["mode"],
                             group_fn=lambda p: lesions.get(p.stem, p.stem), progress=progress)


def config_for(task: str, architecture: str | None = None):
    """The task's registered model with this architecture (class name in nets.networks); default: the default model."""
    if architecture is None:
        return CONFIGS[DEFAULT_MODEL_FOR_TASK[task]]
    found = [c for c in CONFIGS.values() if c.task == task and c.architecture == architecture]
    if not found:
        known = sorted({c.architecture for c in CONFIGS.values() if c.task == task})
        raise InputError(f"no {task} model with architecture {architecture}; registered: {', '.join(known)}")
    return found[0]


@torch.no_grad()
def predict_probs(model, images, contract, batch=128, tta=True):
    model.eval()
    out = []
    for i in range(0, len(images), batch):
        x = image_to_tensor(images[i:i + batch], contract)
        logits = model(x)
        if tta:
            logits = (logits + model(x.flip(3))) / 2
        out.append(F.softmax(logits, 1))
    return torch.cat(out).numpy()


def train_image_classifier(task: str, data_dir, epochs: int = 20, out=None, batch_size: int = 64, lr: float = 2e-3,
                           seed: int = 0, val_fraction: float = 0.2, threads: int | None = None,
                           limit: int | None = None, progress: bool = True, architecture: str | None = None,
                           splits_2d: bool = False) -> dict:
    """splits_2d: data_dir is the shared data folder and the split is nets/training/splits_2d.py's (skin: both
    folders, by lesion)."""
    cfg = config_for(task, architecture)
    out = Path(out or cfg.weights)
    out.parent.mkdir(parents=True, exist_ok=True)
    ckpt_path = out.with_name(out.stem + ".checkpoint.pt")
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    np.random.seed(seed)
    if splits_2d:
        from nets.training.splits_2d import train_val_split_2d
        ds, tr, va = train_val_split_2d(task, data_dir, cfg, progress, val_fraction, seed)
    else:
        ds = load_task_data(task, data_dir, cfg, progress)
        if limit:
            idx = np.random.default_rng(seed).permutation(len(ds.labels))[:limit]
            ds.images, ds.labels, ds.groups = ds.images[idx], ds.labels[idx], ds.groups[idx]
        tr, va = group_split(ds.groups, ds.labels, val_fraction, seed)
    assert not set(ds.groups[tr]) & set(ds.groups[va]), "group leakage"
    k = len(cfg.classes)
    counts = np.bincount(ds.labels[tr], minlength=k)
    class_w = torch.tensor(counts.sum() / (k * np.maximum(counts, 1)), dtype=torch.float32)
    model = getattr(networks, cfg.architecture)(**cfg.arch_kwargs)
    steps_per_epoch = max(1, len(tr) // batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.15)
    start_epoch, history, best = 0, [], {"score": -1.0, "epoch": -1}
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        if ck.get("epochs") == epochs:
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["opt"])
            sched.load_state_dict(ck["sched"])
            start_epoch, history, best = ck["epoch"] + 1, ck["history"], ck["best"]
            print(f"resuming from epoch {start_epoch}", file=sys.stderr)
    gen = torch.Generator().manual_seed(seed + start_epoch)
    rng = np.random.default_rng(seed + start_epoch)
    # skin: class-balanced sampling (sqrt-balanced) + weighted loss; chest: weighted loss only
    if task == "skin":
        pw = 1.0 / np.sqrt(counts[ds.labels[tr]])
        loss_w = torch.sqrt(class_w)
    else:
        pw = np.ones(len(tr))
        loss_w = class_w
    pw = pw / pw.sum()
    best_state_path = out.with_name(out.stem + ".best.pt")
    for epoch in range(start_epoch, epochs):
        model.train()
        order = rng.choice(tr, size=steps_per_epoch * batch_size, replace=True, p=pw)
        t0, losses = time.time(), []
        bar = tqdm(range(steps_per_epoch), desc=f"{task} epoch {epoch + 1}/{epochs}", disable=not progress)
        for s in bar:
            idx = order[s * batch_size:(s + 1) * batch_size]
            x = augment_batch(image_to_tensor(ds.images[idx], cfg.input), task, gen)
            y = torch.from_numpy(ds.labels[idx])
            loss = F.cross_entropy(model(x), y, weight=loss_w, label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        probs = predict_probs(model, ds.images[va], cfg.input)
        m = classification_metrics(ds.labels[va], probs, list(cfg.classes),
                                   positive="PNEUMONIA" if task == "chest" else None)
        val_loss = float(F.nll_loss(torch.log(torch.from_numpy(probs).clamp_min(1e-8)),
                                    torch.from_numpy(ds.labels[va])).item())
        h = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "val_loss": val_loss,
             "val_balanced_accuracy": m["balanced_accuracy"], "val_auc": m["auc"], "seconds": time.time() - t0}
        history.append(h)
        print(json.dumps(h), file=sys.stderr, flush=True)  # stdout carries only the final JSON
        score = m["balanced_accuracy"] + (m["auc"] or 0) * 0.5
        if score > best["score"]:
            best = {"score": score, "epoch": epoch + 1}
            torch.save(model.state_dict(), best_state_path)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "epoch": epoch, "epochs": epochs, "history": history, "best": best}, ckpt_path)
    model.load_state_dict(torch.load(best_state_path, map_location="cpu", weights_only=True))
    torch.save(model.state_dict(), out)
    probs = predict_probs(model, ds.images[va], cfg.input)
    metrics = classification_metrics(ds.labels[va], probs, list(cfg.classes),
                                     positive="PNEUMONIA" if task == "chest" else None)
    plot_dir = out.parent / (out.stem + "_plots")
    plot_dir.mkdir(exist_ok=True)
    plots = {
        "confusion_matrix": save_confusion_matrix(metrics["confusion_matrix"], list(cfg.classes),
                                                  plot_dir / "confusion_matrix.png", f"{cfg.name}: validation"),
        "roc": save_roc_curves(roc_points(ds.labels[va], probs, list(cfg.classes)), plot_dir / "roc.png"),
        "training_curves": save_training_curves(history, plot_dir / "training_curves.png"),
    }
    split = {
        "method": "by patient" if task == "chest" else "by lesion (lesion_id; image id when unknown)",
        **({"source": "nets.training.splits_2d.train_val_split_2d"} if splits_2d else {}),
        "val_fraction": val_fraction, "seed": seed,
        "n_train_images": int(len(tr)), "n_val_images": int(len(va)),
        "n_train_groups": int(len(set(ds.groups[tr]))), "n_val_groups": int(len(set(ds.groups[va]))),
        "train_class_counts": dict(zip(cfg.classes, map(int, counts))),
        "val_class_counts": dict(zip(cfg.classes, map(int, np.bincount(ds.labels[va], minlength=k)))),
        "exact_duplicates_removed": True,
    }
    training = {"epochs": epochs, "best_epoch": best["epoch"], "batch_size": batch_size, "optimizer": "AdamW",
                "max_lr": lr, "schedule": "one-cycle", "loss": "weighted cross-entropy, label smoothing 0.05",
                "augmentation": "random resized crop/aspect, rotation, flips (skin), brightness/contrast",
                "test_time_augmentation": "horizontal flip averaged", "history": history,
                "plots": {k2: str(Path(v).relative_to(out.parent)) for k2, v in plots.items()}}
    card = write_card(cfg, out, {"validation": metrics}, split, training)
    for p in (ckpt_path, best_state_path):
        p.unlink(missing_ok=True)
    return {"weights": str(out), "card": str(card), "metrics": metrics, "plots": plots}
