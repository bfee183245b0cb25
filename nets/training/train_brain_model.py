"""Train the default MRI model on simulated atrophy of real brains; subject-level split; resumable; model card."""
from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from nets.data.brain_subjects import load_subjects
from nets.model_configs import CONFIGS
from nets.networks import BrainCNN3D
from nets.networks.brain_cnn3d import load_weights
from nets.data.simulated_atrophy_set import TensorAugment, build_set
from nets.evaluation.brain_stage import evaluate_brain_model
from nets.evaluation.real_brains import real_brains_called_cn
from nets.simulation.atrophy import LEVELS
from nets.training.brain_split import split_subjects
from nets.training.model_card import card_path_for, sha256_file, write_card

NAME = "brain-atrophy-3dcnn"
CARD_EVAL_SEED = 12345  # the held-out evaluation written into the model card


def card_eval_reps(n_subjects: int) -> int:
    """Simulated volumes per subject and level in the card's evaluation: 2 for the six subjects of the first
    models, 1 for the 22 validation subjects since IXI joined (the evaluation's cost grows with both)."""
    return 2 if n_subjects <= 8 else 1


def refresh_card_metrics(loaded, data_dir, progress=True) -> dict:
    """Re-run the card's held-out evaluation for a trained model (nets.registry.LoadedModel: same subjects, seed and
    repetitions as at the end of training) and write it into its card and plots: for cards written before a metric
    existed. The weights and their sha256 are untouched."""
    weights = Path(loaded.weights_path)
    split = loaded.card["split"]
    val_s = split["val_subjects"]
    # the card's own subjects only (the training ones are the occlusion check's reference): not all 97 brains
    brains = load_subjects(data_dir, progress, only=val_s + list(split.get("train_subjects", [])))
    ev = evaluate_brain_model(loaded.module, brains, val_s, seed=CARD_EVAL_SEED, reps=card_eval_reps(len(val_s)),
                              faithfulness=True, progress=progress,
                              plot_dir=weights.parent / (weights.stem + "_plots"), data_dir=data_dir)
    cp = card_path_for(weights)
    card = json.loads(cp.read_text())
    old = card.setdefault("metrics", {}).get("validation", {})
    # keep what this evaluation does not compute (e.g. CN rate by age band); the stale-note goes
    kept = {k: v for k, v in old.items() if k not in ev and k not in ("stale", "not_measured")}
    card["metrics"]["validation"] = {**kept, **ev}
    cp.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
    return ev


def train_brain_model(data_dir, epochs=40, out=None, seed=0, threads=None, limit=None, progress=True,
                      batch_size=8, lr=1e-3, variants=6, workers=2, severity_weight=0.3, init=None,
                      mechanisms=("push", "replace", "radial"), full_nuisance=True, arch=None,
                      anatomy_warp_voxels=0.0, ventricle_variation=0.0, final_eval=True) -> dict:
    """full_nuisance: the cached training volumes also get the simulation's own nuisance (small affine incl. global
    scale, blur, bias field, gamma, noise), not only the per-batch one; needed with the radial mechanism, or a
    globally scaled healthy brain looks like a radially enlarged one. arch: BrainCNN3D keyword arguments over the
    config's, or over those in the card of `init` (e.g. {"stem": "blur", "pool": "avg"}); the card records the
    result. anatomy_warp_voxels > 0: every training volume (level 0 too) first gets a random smooth warp of up to
    that many voxels, another plausible anatomy (nets/simulation/anatomy_warp.py); ventricle_variation > 0: then
    healthy ventricle size / asymmetry differences (signed, up to that share of the level-4 shift). Defaults: the
    committed model's training data (mechanisms, nuisance) and its first stage's length; its card lists all
    stages. final_eval=False: the card gets the per-epoch monitoring only (for a model whose operating point is set
    afterwards with nets.calibrate; then `python -m nets.evaluate mri --update-card`)."""
    cfg = CONFIGS[NAME]
    base = dict(cfg.arch_kwargs)
    if init and card_path_for(Path(init)).exists():  # a fine-tune starts from the architecture of its weights
        base = json.loads(card_path_for(Path(init)).read_text()).get("arch_kwargs", base)
    cfg = replace(cfg, arch_kwargs={**base, **(arch or {})})
    out = Path(out or cfg.weights)
    out.parent.mkdir(parents=True, exist_ok=True)
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    brains = load_subjects(data_dir, progress, limit)
    from nets.data.subject_ages import subject_ages
    train_s, val_s = split_subjects(list(brains), subject_ages(data_dir), seed=seed)
    assert not set(train_s) & set(val_s)
    # training volumes: simulation without nuisance unless full_nuisance (cheap per-batch nuisance on top,
    # TensorAugment); monitoring volumes: fixed, with the full nuisance
    train_set = build_set(brains, train_s, variants, seed, workers=workers, progress=progress,
                          augment=full_nuisance, mechanisms=mechanisms, anatomy_warp_voxels=anatomy_warp_voxels,
                          ventricle_variation=ventricle_variation)
    val_set = build_set(brains, val_s, card_eval_reps(len(val_s)), seed + 1, workers=workers, progress=progress,
                        augment=True)  # per-epoch monitoring only
    x_all = torch.from_numpy(train_set["images"])  # float16, converted per batch
    y_all = torch.from_numpy(train_set["levels"])
    model = BrainCNN3D(**cfg.arch_kwargs)
    if init:  # fine-tune from earlier weights
        load_weights(model, torch.load(init, map_location="cpu", weights_only=True))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps_per_epoch = len(y_all) // batch_size
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
    severity = torch.arange(LEVELS, dtype=torch.float32)
    ckpt = out.with_name(out.stem + ".checkpoint.pt")
    start, history = 0, []
    if ckpt.exists():
        ck = torch.load(ckpt, map_location="cpu", weights_only=False)
        if ck.get("epochs") == epochs:
            model.load_state_dict(ck["model"]); opt.load_state_dict(ck["opt"]); sched.load_state_dict(ck["sched"])
            start, history = ck["epoch"] + 1, ck["history"]
            print(f"resuming from epoch {start}", file=sys.stderr)
    for epoch in range(start, epochs):
        augment = TensorAugment(seed * 1000 + epoch)
        order = torch.randperm(len(y_all), generator=torch.Generator().manual_seed(seed * 1000 + epoch))
        model.train()
        losses, t0 = [], time.time()
        bar = tqdm(range(steps_per_epoch), desc=f"mri epoch {epoch + 1}/{epochs}", disable=not progress)
        for b in bar:
            idx = order[b * batch_size:(b + 1) * batch_size]
            x, y = augment(x_all[idx].float()[:, None]), y_all[idx]
            logits = model(x)
            # cross-entropy + squared error of the expected severity: the levels are ordered, and the ordinal
            # term gives a smooth signal before the classes separate
            loss = F.cross_entropy(logits, y) + severity_weight * ((logits.softmax(1) @ severity - y) ** 2).mean()
            opt.zero_grad(); loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sched.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        ev = monitor(model, val_set, brains, val_s)
        h = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), **ev, "seconds": time.time() - t0}
        history.append(h)
        print(json.dumps(h), file=sys.stderr, flush=True)  # stdout carries only the final JSON
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "epoch": epoch, "epochs": epochs, "history": history}, ckpt)
    model.eval()
    torch.save(model.state_dict(), out)
    plot_dir = out.parent / (out.stem + "_plots")
    plot_dir.mkdir(parents=True, exist_ok=True)
    ev = (evaluate_brain_model(model, brains, val_s, seed=CARD_EVAL_SEED, reps=card_eval_reps(len(val_s)),
                               faithfulness=True,
                               progress=progress, plot_dir=plot_dir, data_dir=data_dir)
          if final_eval else {"monitor_last_epoch": history[-1] if history else None})
    from nets.render.plots import save_training_curves
    save_training_curves(history, plot_dir / "training_curves.png")
    split = {"method": "by subject", "train_subjects": train_s, "val_subjects": val_s}
    training = {"epochs": epochs, "volumes": int(len(y_all)), "variants_per_subject_and_level": variants,
                "init": init_stage(init) if init else None, "mechanisms": list(mechanisms),
                "full_nuisance": full_nuisance, "anatomy_warp_voxels": anatomy_warp_voxels,
                "ventricle_variation": ventricle_variation,
                "batch_size": batch_size, "loss": f"cross-entropy + {severity_weight} x squared error of expected severity",
                "optimizer": "AdamW", "max_lr": lr, "schedule": "cosine", "history": history,
                "simulation": ("nets/simulation/atrophy.py: the subject's own ventricles enlarged and the medial "
                               f"temporal lobe shrunk ({' / '.join(mechanisms)} mechanism, random extent, hemisphere "
                               "asymmetry), "
                               "optional grey-matter signal loss; "
                               + (f"first a random smooth warp of up to {anatomy_warp_voxels} voxels (another "
                                  "anatomy), at every level; " if anatomy_warp_voxels else "")
                               + (f"healthy ventricle size/asymmetry differences (signed, up to {ventricle_variation} "
                                  "of the level-4 shift), at every level; " if ventricle_variation else "")
                               + ("bias field, noise, gamma, small affine, blur; " if full_nuisance else "")
                               + "per batch: left-right flip, shift, bias field, gamma, noise")}
    card = write_card(cfg, out, {"validation": ev}, split, training)
    ckpt.unlink(missing_ok=True)
    return {"weights": str(out), "card": str(card), "metrics": ev}


def init_stage(init) -> dict:
    """What a fine-tune started from: the weights' sha256 and, from their card, how they were trained (so a chain of
    stages can be reproduced)."""
    info = {"weights": str(init), "sha256": sha256_file(init)}
    cp = card_path_for(Path(init))
    if cp.exists():
        t = json.loads(cp.read_text()).get("training", {})
        info["training"] = {k: v for k, v in t.items() if k != "history"}
        info["training"]["epochs_run"] = len(t.get("history", []))
    return info


def monitor(model, val_set, brains, val_s) -> dict:
    """Per-epoch numbers on the fixed held-out volumes (fast: forwards only)."""
    from nets.model_configs import SEVERITY_ORDER
    from nets.training.metrics import classification_metrics
    model.eval()
    with torch.no_grad():
        probs = np.concatenate([torch.softmax(model(torch.from_numpy(val_set["images"][i:i + 8]).float()[:, None]), 1)
                                .numpy() for i in range(0, len(val_set["levels"]), 8)])
    y = val_set["levels"]
    m = classification_metrics(y, probs, list(SEVERITY_ORDER))
    sev = probs @ np.arange(LEVELS)
    return {"val_loss": float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-8, None)).mean()),
            "val_balanced_accuracy": m["balanced_accuracy"], "val_auc": m.get("auc"),
            "val_severity_mae": float(np.abs(sev - y).mean()),
            "val_real_brains_cn": real_brains_called_cn(model, brains, val_s)}
