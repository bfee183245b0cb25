"""Fine-tune a committed 2D model (chest / skin) on the splits of nets.training.splits_2d; resumable.

    python -m nets.training.finetune_2d skin --epochs 4 --samples-per-epoch 6000 --out cache/skin_ft.pt

Starts from the committed weights (the card's), strong augmentation (nets.training.augment_strong_2d), skin:
class-balanced sampling (sqrt) x sqrt class weights in the loss (= balanced in expectation); chest: class
weights. Warm-up + cosine learning rate; a checkpoint after every epoch (rerun the same command to resume); keeps
the epoch with the best validation score (skin: balanced accuracy; chest: AUC + balanced accuracy), or with --keep
last the final epoch, or with --swa-from K the average of the weights after epochs K..end, run at the constant
--swa-lr, with BatchNorm statistics recomputed (nets/training/weight_average.py); --patch-blur P hides squares as
the faithfulness check does (nets/training/blur_patches.py). Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK
from nets.networks import SmallResNet2D
from nets.training.augment_strong_2d import augment_strong
from nets.training.border_paint import border_paint
from nets.training.blur_patches import blur_patches
from nets.training.metrics import classification_metrics
from nets.training.splits_2d import train_val_split_2d
from nets.training.train_image_classifier import predict_probs
from nets.training.weight_average import WeightAverage

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def unit_batch(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, C) -> float [0, 1] (N, C, H, W)."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div_(255.0)


def normalise(x: torch.Tensor, contract: dict) -> torch.Tensor:
    return (x - torch.tensor(contract["mean"]).view(1, -1, 1, 1)) / torch.tensor(contract["std"]).view(1, -1, 1, 1)


def sampling_and_loss_weights(labels_train, k: int, task: str):
    counts = np.maximum(np.bincount(labels_train, minlength=k), 1)
    class_w = counts.sum() / (k * counts)
    if task == "skin":
        return 1.0 / np.sqrt(counts[labels_train]), torch.tensor(np.sqrt(class_w), dtype=torch.float32)
    return np.ones(len(labels_train)), torch.tensor(class_w, dtype=torch.float32)


def selection_subset(labels_val, task: str, cap: int = 300, seed: int = 0) -> np.ndarray:
    """Validation indices for per-epoch model selection: every class capped at `cap` images (skin) to save time."""
    if task != "skin":
        return np.arange(len(labels_val))
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.where(labels_val == c)[0])[:cap] for c in np.unique(labels_val)]
    return np.sort(np.concatenate(keep))


def lr_at(step: int, total: int, max_lr: float, warm: float = 0.05) -> float:
    w = max(1, int(total * warm))
    if step < w:
        return max_lr * (step + 1) / w
    return 0.5 * max_lr * (1 + math.cos(math.pi * (step - w) / max(1, total - w))) + 1e-6


def score(task, m):
    return m["balanced_accuracy"] if task == "skin" else (m["auc"] or 0) + m["balanced_accuracy"]


def freeze_early(model) -> list:
    """Freeze the stem and the first stage (the high-resolution, most expensive part of the backward pass)."""
    frozen = [model.stem, model.features[0]]
    for mod in frozen:
        for p in mod.parameters():
            p.requires_grad_(False)
    return frozen


def training_batch(ds, idx, task, gen, cfg, border=0.0, patch_blur=0.0, frames=0.0) -> torch.Tensor:
    """The normalised, augmented network input for training images `idx`."""
    x = augment_strong(unit_batch(ds.images[idx]), task, gen)
    x = border_paint(x, gen, border, frames) if border or frames else x
    return normalise(blur_patches(x, gen, patch_blur) if patch_blur else x, cfg.input)


def selection_metrics(model, ds, sel, cfg) -> dict:
    """The model's metrics on the selection subset `sel` of the validation split (one view, no TTA)."""
    return classification_metrics(ds.labels[sel], predict_probs(model, ds.images[sel], cfg.input, tta=False),
                                  list(cfg.classes))


def lr_for(step, epoch, epochs, steps, lr, swa_from=0, swa_lr=None) -> float:
    """Warm-up + cosine over the whole run; with SWA, constant swa_lr from epoch swa_from on (1-based) and the
    cosine over the epochs before it."""
    if swa_from and epoch + 1 >= swa_from:
        return swa_lr
    total = (swa_from - 1 if swa_from else epochs) * steps
    return lr_at(epoch * steps + step, max(total, 1), lr)


def finetune(task, out, data_root=SHARED, init=None, epochs=4, samples_per_epoch=6000, batch=48, lr=1e-3,
             seed=0, threads=1, freeze=False, patch_blur=0.0, keep="best", border=0.0, swa_from=0, swa_lr=3e-4,
             size=None, frames=0.0):
    torch.set_num_threads(threads)
    cfg = with_input_size(CONFIGS[DEFAULT_MODEL_FOR_TASK[task]], size)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ckpt = out.with_name(out.stem + ".ckpt.pt")
    ds, tr, va = train_val_split_2d(task, data_root, cfg)
    k = len(cfg.classes)
    pw, loss_w = sampling_and_loss_weights(ds.labels[tr], k, task)
    pw = pw / pw.sum()
    sel = va[selection_subset(ds.labels[va], task)]
    model = SmallResNet2D.from_weights(cfg.arch_kwargs, init or cfg.weights)
    frozen = freeze_early(model) if freeze else []
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=5e-4)
    steps = samples_per_epoch // batch
    start, history, best, swa = 0, [], {"score": -1.0, "epoch": 0}, WeightAverage()
    if ckpt.exists():
        ck = torch.load(ckpt, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        start, history, best = ck["epoch"], ck["history"], ck["best"]
        swa = WeightAverage.from_checkpoint(ck.get("swa"))
        print(f"resuming after epoch {start}", file=sys.stderr)
    if start == 0:  # the starting point is a candidate too: never end worse than the committed model
        m = selection_metrics(model, ds, sel, cfg)
        best = {"score": score(task, m), "epoch": 0}
        torch.save(model.state_dict(), out)
        print(json.dumps({"epoch": 0, "val_balanced_accuracy": m["balanced_accuracy"], "val_auc": m["auc"]}),
              file=sys.stderr, flush=True)
    gen = torch.Generator().manual_seed(seed + start)
    rng = np.random.default_rng(seed + start)
    for epoch in range(start, epochs):
        model.train()
        for mod in frozen:
            mod.eval()
        t0, losses = time.time(), []
        order = rng.choice(tr, size=steps * batch, replace=True, p=pw)
        for s in range(steps):
            for g in opt.param_groups:
                g["lr"] = lr_for(s, epoch, epochs, steps, lr, swa_from, swa_lr)
            idx = order[s * batch:(s + 1) * batch]
            x = training_batch(ds, idx, task, gen, cfg, border, patch_blur, frames)
            loss = F.cross_entropy(model(x), torch.from_numpy(ds.labels[idx]), weight=loss_w, label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if s % 20 == 0:
                print(f"epoch {epoch + 1} step {s}/{steps} loss {np.mean(losses[-20:]):.3f} "
                      f"{time.time() - t0:.0f}s", file=sys.stderr, flush=True)
        m = selection_metrics(model, ds, sel, cfg)
        h = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "val_balanced_accuracy": m["balanced_accuracy"],
             "val_auc": m["auc"], "per_class_recall": m["per_class_recall"], "seconds": time.time() - t0}
        history.append(h)
        print(json.dumps(h), file=sys.stderr, flush=True)
        if score(task, m) > best["score"]:
            best = {"score": score(task, m), "epoch": epoch + 1}
            torch.save(model.state_dict(), out)
        if swa_from and epoch + 1 >= swa_from:
            swa.add(model)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch + 1, "history": history,
                    "best": best, "swa": swa.to_checkpoint()}, ckpt)
    if swa_from:
        best = {**best, **keep_weight_average(model, swa, ds, tr, pw, task, cfg, seed, batch, sel, out, border,
                                              patch_blur, epochs, frames=frames)}
    elif keep == "last":  # the schedule's final weights; adopt_2d chooses the threshold again on validation
        torch.save(model.state_dict(), out)
        best = {**best, "kept": "last", "epoch_kept": epochs}
    result = {"weights": str(out), "best": best, "history": history, "n_train": int(len(tr)), "n_val": int(len(va)),
              "selection_subset": int(len(sel)), "patch_blur": patch_blur, "border_paint": border,
              **({"frames": frames} if frames else {}),
              "input_size": cfg.input.size,
              **({"swa": {"from_epoch": swa_from, "lr": swa_lr, "epochs_averaged": swa.n}} if swa_from else {})}
    out.with_name(out.stem + ".history.json").write_text(json.dumps(result, indent=1))
    return result


def with_input_size(cfg, size):
    """The config with another square input side (the network is fully convolutional); None keeps it."""
    if not size or size == cfg.input.size:
        return cfg
    from dataclasses import replace
    return replace(cfg, input=replace(cfg.input, size=size,
                                      resize=f"whole image resized to {size}x{size}, aspect ratio not kept"))


def keep_weight_average(model, swa, ds, tr, pw, task, cfg, seed, batch, sel, out, border, patch_blur,
                        epochs, bn_batches=60, frames=0.0) -> dict:
    """Average the epochs' weights into `model`, recompute BatchNorm on augmented training batches (as the
    epochs saw them), save it to `out` and score it on the selection subset (reported, not used to choose)."""
    gen = torch.Generator().manual_seed(seed + 10_000)
    idx = np.random.default_rng(seed + 10_000).choice(tr, size=bn_batches * batch, replace=True, p=pw)
    swa.apply(model, (training_batch(ds, idx[i * batch:(i + 1) * batch], task, gen, cfg, border, patch_blur,
                                     frames)
                      for i in range(bn_batches)))
    torch.save(model.state_dict(), out)
    m = selection_metrics(model, ds, sel, cfg)
    print(json.dumps({"swa_epochs": swa.n, "val_balanced_accuracy": m["balanced_accuracy"], "val_auc": m["auc"]}),
          file=sys.stderr, flush=True)
    return {"kept": "weight average", "epochs_averaged": swa.n, "epoch_kept": epochs,
            "average_val_balanced_accuracy": m["balanced_accuracy"], "average_val_auc": m["auc"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("task", choices=["chest", "skin"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=str(SHARED))
    ap.add_argument("--init", default=None, help="weights to start from (default: the committed model's)")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--samples-per-epoch", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=48)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--freeze-early", action="store_true", help="freeze the stem and the first stage (faster)")
    ap.add_argument("--patch-blur", type=float, default=0.0,
                    help="share of training images with blurred 8 px squares, as the faithfulness check hides them "
                         "(nets/training/blur_patches.py)")
    ap.add_argument("--border-paint", type=float, default=0.0,
                    help="share of training images whose outer ring is painted with the skin colour or darkened as "
                         "a vignette (nets/training/border_paint.py)")
    ap.add_argument("--frames", type=float, default=0.0,
                    help="share of training images given a flat frame (black, white, grey) or a round black field "
                         "of view (nets/training/border_paint.py)")
    ap.add_argument("--keep", choices=["best", "last"], default="best",
                    help="the epoch with the best validation score (at argmax), or the last epoch's weights")
    ap.add_argument("--swa-from", type=int, default=0,
                    help="keep the average of the weights after epochs K..end (stochastic weight averaging), run at "
                         "the constant --swa-lr; 0: off")
    ap.add_argument("--swa-lr", type=float, default=3e-4)
    ap.add_argument("--size", type=int, default=None,
                    help="train at this square input side instead of the model's (e.g. skin 176 for 144)")
    a = ap.parse_args(argv)
    print(json.dumps(finetune(a.task, a.out, a.data, a.init, a.epochs, a.samples_per_epoch, a.batch, a.lr,
                              a.seed, a.threads, a.freeze_early, a.patch_blur, a.keep, a.border_paint,
                              a.swa_from, a.swa_lr, a.size, a.frames)))


if __name__ == "__main__":
    main()
