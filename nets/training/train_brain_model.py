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
from nets.simulation.atrophy import LEVELS, simulate
from nets.training.model_card import card_path_for, sha256_file, write_card
from nets.transforms.brain_preprocessing import model_mask
from nets.transforms.engine_grid import VOXEL_MM

NAME = "brain-atrophy-3dcnn"
CARD_EVAL_SEED, CARD_EVAL_REPS = 12345, 2  # the held-out evaluation written into the model card


def refresh_card_metrics(loaded, data_dir, progress=True) -> dict:
    """Re-run the card's held-out evaluation for a trained model (nets.registry.LoadedModel: same subjects, seed and
    repetitions as at the end of training) and write it into its card and plots: for cards written before a metric
    existed. The weights and their sha256 are untouched."""
    weights = Path(loaded.weights_path)
    brains = load_subjects(data_dir, progress)
    val_s = loaded.card["split"]["val_subjects"]
    ev = evaluate_brain_model(loaded.module, brains, val_s, seed=CARD_EVAL_SEED, reps=CARD_EVAL_REPS,
                              faithfulness=True, progress=progress,
                              plot_dir=weights.parent / (weights.stem + "_plots"), data_dir=data_dir)
    cp = card_path_for(weights)
    card = json.loads(cp.read_text())
    card.setdefault("metrics", {})["validation"] = ev
    cp.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
    return ev


class SimulatedAtrophyDataset(torch.utils.data.Dataset):
    """Simulated volumes generated on the fly (evaluation: every call draws fresh random atrophy)."""

    def __init__(self, brains: dict, subjects: list, n: int, seed: int, augment=True):
        self.brains, self.subjects, self.n, self.seed, self.augment = brains, subjects, n, seed, augment

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        rng = np.random.default_rng((self.seed, i))
        subj = self.subjects[i % len(self.subjects)]
        level = (i // len(self.subjects)) % LEVELS
        s = simulate(self.brains[subj], level, rng, augment=self.augment)
        return torch.from_numpy(s.image)[None], level, torch.from_numpy(s.changed)


def split_subjects(names, val_n=6, seed=0):
    real = sorted(n for n in names if n.startswith("sub-"))
    rng = np.random.default_rng(seed)
    val = sorted(rng.choice(real, size=min(val_n, len(real) // 3 or 1), replace=False).tolist())
    train = [n for n in names if n not in val]
    return train, val


def train_brain_model(data_dir, epochs=40, out=None, seed=0, threads=None, limit=None, progress=True,
                      batch_size=8, lr=1e-3, variants=6, workers=2, severity_weight=0.3, init=None,
                      mechanisms=("push", "replace", "radial"), full_nuisance=True, arch=None,
                      anatomy_warp_voxels=0.0, ventricle_variation=0.0) -> dict:
    """full_nuisance: the cached training volumes also get the simulation's own nuisance (small affine incl. global
    scale, blur, bias field, gamma, noise), not only the per-batch one; needed with the radial mechanism, or a
    globally scaled healthy brain looks like a radially enlarged one. arch: BrainCNN3D keyword arguments over the
    config's, or over those in the card of `init` (e.g. {"stem": "blur", "pool": "avg"}); the card records the
    result. anatomy_warp_voxels > 0: every training volume (level 0 too) first gets a random smooth warp of up to
    that many voxels, another plausible anatomy (nets/simulation/anatomy_warp.py); ventricle_variation > 0: then
    healthy ventricle size / asymmetry differences (signed, up to that share of the level-4 shift). Defaults: the
    committed model's training data (mechanisms, nuisance) and its first stage's length; its card lists all
    stages."""
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
    train_s, val_s = split_subjects(list(brains), seed=seed)
    assert not set(train_s) & set(val_s)
    # training volumes: simulation without nuisance unless full_nuisance (cheap per-batch nuisance on top,
    # TensorAugment); monitoring volumes: fixed, with the full nuisance
    train_set = build_set(brains, train_s, variants, seed, workers=workers, progress=progress,
                          augment=full_nuisance, mechanisms=mechanisms, anatomy_warp_voxels=anatomy_warp_voxels,
                          ventricle_variation=ventricle_variation)
    val_set = build_set(brains, val_s, 2, seed + 1, workers=workers, progress=progress, augment=True)
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
    ev = evaluate_brain_model(model, brains, val_s, seed=CARD_EVAL_SEED, reps=CARD_EVAL_REPS, faithfulness=True,
                              progress=progress, plot_dir=plot_dir, data_dir=data_dir)
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


def real_brain_probabilities(model, brains, subjects) -> dict:
    """Class probabilities for each unmodified real brain (sub-*) among `subjects`."""
    with torch.no_grad():
        probs = {s: torch.softmax(model(torch.from_numpy(brains[s])[None, None]), 1)[0].double().numpy()
                 for s in subjects if s.startswith("sub-")}
    return {s: p.round(3).tolist() for s, p in probs.items()}


def real_brains_called_cn(model, brains, subjects, probs=None):
    """Share of the unmodified real brains (sub-*) among `subjects` that the model calls CN."""
    probs = real_brain_probabilities(model, brains, subjects) if probs is None else probs
    return float(np.mean([int(np.argmax(p)) == 0 for p in probs.values()])) if probs else None


def real_brains_under_shifts(model, brains, subjects) -> dict:
    """Each unmodified real brain (sub-*) among `subjects` moved by 0 or 1 voxel (2 mm) along each axis: 8 copies.
    Registration puts a brain within about a voxel of where it lands, so an answer that flips under such a shift is
    not to be trusted. Reports the share of all shifted copies called CN, each brain's lowest CN probability, and
    the mean spread (highest - lowest) of the CN probability."""
    import itertools
    lows, spreads, called = {}, [], []
    with torch.no_grad():
        for s in (s for s in subjects if s.startswith("sub-")):
            x = torch.from_numpy(brains[s])[None, None]
            # the brain mask leaves a margin of zeros, so rolling (wrapping round) moves no tissue across an edge
            xs = torch.cat([torch.roll(x, sh, dims=(2, 3, 4)) for sh in itertools.product((0, 1), repeat=3)])
            p = torch.softmax(model(xs), 1).double().numpy()
            called += (p.argmax(1) == 0).tolist()
            lows[s] = round(float(p[:, 0].min()), 3)
            spreads.append(float(p[:, 0].max() - p[:, 0].min()))
    if not called:
        return {}
    return {"shifts": 8, "called_cn": float(np.mean(called)), "lowest_cn_probability": lows,
            "mean_cn_probability_spread": float(np.mean(spreads))}


def real_brains_under_warps(model, brains, subjects, amplitudes=(1.0, 2.0, 3.0), draws=2) -> dict:
    """Each unmodified real brain (sub-*) among `subjects` warped by random smooth fields (nets/simulation/
    anatomy_warp.py) whose largest displacement is 1, 2 or 3 voxels (2-6 mm): other plausible healthy anatomies,
    no atrophy. Per amplitude: share called CN and mean expected severity. A model trained with --anatomy-warp saw
    such warps on its training brains (not on these), so for it this is not an independent check."""
    from nets.simulation.anatomy_warp import displacement_field, warp
    real = [s for s in subjects if s.startswith("sub-")]
    if not real:
        return {}
    out = {}
    for amp in amplitudes:
        p = []
        for i, s in enumerate(real):
            xs = np.stack([warp(brains[s], displacement_field(np.random.default_rng([i, k, int(amp * 10)]), amp))
                           for k in range(draws)])
            with torch.no_grad():
                p.append(torch.softmax(model(torch.from_numpy(xs)[:, None]), 1).double().numpy())
        p = np.concatenate(p)
        out[f"{amp * VOXEL_MM:g} mm"] = {"called_cn": float(np.mean(p.argmax(1) == 0)),
                                         "expected_severity": float((p @ np.arange(LEVELS)).mean())}
    return {"draws_per_brain": draws, "by_largest_displacement": out}


def real_brains_under_acquisition(model, data_dir, subjects) -> dict:
    """Each unmodified real brain (sub-*) among `subjects` as another scanner or protocol might have stored it
    (nets/simulation/acquisition_variants.py: gamma, coil bias field, Rician noise, thick slices, grey/white
    contrast, blur, head tilt and size), taken through the engine's whole preprocessing. Reports the share called CN
    per variant and over all, and each brain's lowest CN probability."""
    from nets.data.brain_subjects import subject_files
    from nets.io.nifti_loader import load_nifti
    from nets.simulation.acquisition_variants import ACQUISITION_VARIANTS
    from nets.transforms.brain_preprocessing import BrainPreprocessor
    files = subject_files(data_dir)
    real = [s for s in subjects if s.startswith("sub-") and s in files]
    if not real:
        return {}
    prep = BrainPreprocessor()
    called = {k: [] for k in ACQUISITION_VARIANTS}
    lows = {}
    for s in real:
        vol = load_nifti(files[s])
        xs = np.stack([prep(f(vol)).image for f in ACQUISITION_VARIANTS.values()])
        with torch.no_grad():
            p = torch.softmax(model(torch.from_numpy(xs)[:, None]), 1).double().numpy()
        for k, pk in zip(ACQUISITION_VARIANTS, p):
            called[k].append(int(pk.argmax() == 0))
        lows[s] = round(float(p[:, 0].min()), 3)
    return {"called_cn": float(np.mean(list(called.values()))),
            "called_cn_by_variant": {k: float(np.mean(v)) for k, v in called.items()},
            "lowest_cn_probability": lows}


def real_brains_not_cn_occlusion(model, brains, subjects, top=3, probs=None) -> dict:
    """For each unmodified real brain (sub-*) among `subjects` that is not called CN: which 24 mm cube, replaced by the
    same cube of the mean of the other real brains (none of `subjects`), raises the CN log-odds most
    (nets/interpret/occlusion.py). Reports the cubes as `describe_cubes` does (MNI centre, CN log-odds change,
    AAL region, how much of each is lateral ventricle / medial temporal lobe), so a non-CN answer can be traced to anatomy. probs: the brains'
    `real_brain_probabilities`, if already computed."""
    from nets.interpret.occlusion import OcclusionSensitivity, cn_log_odds, describe_cubes
    others = [s for s in brains if s.startswith("sub-") and s not in subjects]
    probs = real_brain_probabilities(model, brains, subjects) if probs is None else probs
    flagged = [s for s, p in probs.items() if int(np.argmax(p)) != 0]
    if not flagged or not others:
        return {}
    reference = np.mean([brains[s] for s in others], 0).astype(np.float32)
    occ = OcclusionSensitivity(model)
    out = {}
    for s in flagged:
        base, changes = occ(brains[s], reference, cn_log_odds)
        out[s] = {"cn_log_odds": round(base, 2), "reference": f"mean of {len(others)} other real brains",
                  "cubes": describe_cubes(changes, occ.window, brains[s], top)}
    return out


def evaluate_brain_model(model, brains, subjects, seed=0, reps=1, faithfulness=True, progress=True,
                         plot_dir=None, data_dir=None, lrp_rule="epsilon-plus") -> dict:
    """Confusion matrix over severity levels, balanced accuracy, CN rate on unmodified brains, and explanation
    faithfulness (share of positive relevance inside the changed-tissue mask / the mask's share of the brain, and
    how much of the logit the relevance keeps) with the LRP rule `lrp_rule`."""
    from nets.model_configs import SEVERITY_ORDER
    from nets.training.metrics import classification_metrics
    model.eval()
    ds = SimulatedAtrophyDataset(brains, subjects, len(subjects) * LEVELS * reps, seed, augment=True)
    ys, probs, ratios, conservation = [], [], [], []
    explainer = None
    if faithfulness:
        from nets.interpret.lrp import LRPExplainer
        explainer = LRPExplainer(model, rule=lrp_rule)
    mask = model_mask()
    examples = []
    for i in tqdm(range(len(ds)), desc="evaluating", disable=not progress):
        x, y, changed = ds[i]
        with torch.no_grad():
            p = torch.softmax(model(x[None]), 1)[0].numpy()
        ys.append(y); probs.append(p)
        if explainer is not None and y > 0 and changed.any():
            rel, _, kept = explainer.explain(x[None], int(p.argmax()))
            conservation.append(kept)
            r = np.clip(rel[0, 0].numpy(), 0, None)
            ch = changed.numpy()
            if r.sum() > 0:
                ratios.append(float((r[ch].sum() / r.sum()) / (ch.sum() / mask.sum())))
                if len(examples) < 3 and y == LEVELS - 1:
                    examples.append((x[0].numpy(), r, ch))
    probs = np.array(probs)
    m = classification_metrics(np.array(ys), probs, list(SEVERITY_ORDER))
    m["loss"] = float(F.nll_loss(torch.log(torch.from_numpy(probs).clamp_min(1e-8)), torch.tensor(ys)).item())
    m["real_brain_probabilities"] = real_brain_probabilities(model, brains, subjects)
    m["real_brains_called_cn"] = real_brains_called_cn(model, brains, subjects, m["real_brain_probabilities"])
    m["real_brains_shifted"] = real_brains_under_shifts(model, brains, subjects)
    sev = probs @ np.arange(LEVELS)
    m["expected_severity_by_level"] = [float(sev[np.array(ys) == k].mean()) for k in range(LEVELS)]
    lv = np.array(ys)
    sel = (lv == 0) | (lv == LEVELS - 1)
    if sel.any():
        ad = probs[sel][:, LEVELS - 1] > probs[sel][:, 0]
        truth = lv[sel] == LEVELS - 1
        m["ad_vs_cn_balanced_accuracy"] = float((np.mean(ad[truth]) + np.mean(~ad[~truth])) / 2)
    if ratios:
        m["relevance_concentration_in_changed_tissue"] = {"mean": float(np.mean(ratios)),
                                                          "median": float(np.median(ratios)), "n": len(ratios),
                                                          "lrp_rule": lrp_rule,
                                                          "median_conservation": float(np.median(conservation))}
    m["by_generator"], gen_probs = by_generator(model, brains, subjects)
    m["independent_generator"] = severity_checks(gen_probs["evaluation_radial_generator"],
                                                 [s for s in subjects if s.startswith("sub-")])
    m["real_brains_warped"] = real_brains_under_warps(model, brains, subjects)
    m["real_brains_not_cn_occlusion"] = real_brains_not_cn_occlusion(model, brains, subjects,
                                                                     probs=m["real_brain_probabilities"])
    if data_dir is not None:
        m["native_generator"], _ = native_generator(model, data_dir, subjects)
        m["real_brains_acquisition"] = real_brains_under_acquisition(model, data_dir, subjects)
    if plot_dir is not None:
        from nets.render.plots import save_confusion_matrix
        Path(plot_dir).mkdir(parents=True, exist_ok=True)
        save_confusion_matrix(m["confusion_matrix"], list(SEVERITY_ORDER), Path(plot_dir) / "confusion_matrix.png",
                              "simulated severity, held-out subjects")
        if examples:
            _plot_relevance_examples(examples, Path(plot_dir) / "relevance_vs_ground_truth.png")
    return m


def _measure_levels(model, n_subjects, volume_at) -> tuple:
    """volume_at(i, level) -> engine-grid volume of subject i at that level. Per level: lateral ventricle volume
    (per-subject segmentation) and medial temporal tissue (voxels brighter than 0.45 inside the AAL hippocampus /
    amygdala / parahippocampal mask) as ratios to the unmodified brain, and the model's probabilities
    (subjects, levels, classes)."""
    from nets.simulation.structures import medial_temporal_mask, ventricle_mask
    mtl = medial_temporal_mask()
    vent, tissue = np.zeros((n_subjects, LEVELS)), np.zeros((n_subjects, LEVELS))
    probs = np.zeros((n_subjects, LEVELS, LEVELS))
    for i in range(n_subjects):
        for lvl in range(LEVELS):
            x = volume_at(i, lvl)
            vent[i, lvl], tissue[i, lvl] = ventricle_mask(x).sum(), (x[mtl] > 0.45).sum()
            with torch.no_grad():
                probs[i, lvl] = torch.softmax(model(torch.from_numpy(x)[None, None]), 1)[0].double().numpy()
    change = {"ventricle_volume_ratio": (vent / vent[:, :1]).mean(0).round(3).tolist(),
              "medial_temporal_tissue_ratio": (tissue / tissue[:, :1]).mean(0).round(3).tolist()}
    return change, probs


def by_generator(model, brains, subjects, mechanisms=("push", "replace", "radial", "ventricles")) -> tuple:
    """One pass per atrophy generator on the held-out real brains (no nuisance): how big each level's change is and
    what the model makes of it (`_measure_levels`, plus the mean expected severity). Generators: each training
    mechanism alone ("ventricles" = the push on the ventricles without any medial temporal change) and the
    evaluation-only radial generator, whose probabilities also feed `severity_checks`."""
    from nets.simulation.radial_atrophy import radial_atrophy
    real = [s for s in subjects if s.startswith("sub-")]
    gens = {m: (lambda img, lvl, i, m=m: simulate(img, lvl, np.random.default_rng([i, lvl]), augment=False,
                                                   mechanism=m).image) for m in mechanisms}
    gens["evaluation_radial_generator"] = lambda img, lvl, i: radial_atrophy(img, lvl)
    out, probs = {}, {}
    for name, gen in gens.items():
        change, p = _measure_levels(model, len(real), lambda i, lvl: gen(brains[real[i]], lvl, i))
        probs[name] = p
        out[name] = {**change, "expected_severity": (p @ np.arange(LEVELS)).mean(0).round(3).tolist()}
    return out, probs


def native_generator(model, data_dir, subjects):
    """The evaluation-only morphological generator on the scans as stored (nets/simulation/native_atrophy.py), each
    level taken through the engine's whole preprocessing. Returns (summary, probs (subjects, levels, classes))."""
    from nets.data.brain_subjects import subject_files
    from nets.io.nifti_loader import load_nifti
    from nets.simulation.native_atrophy import native_atrophy
    from nets.transforms.brain_preprocessing import BrainPreprocessor
    files = subject_files(data_dir)
    real = [s for s in subjects if s.startswith("sub-") and s in files]
    if not real:
        return {}, np.zeros((0, LEVELS, LEVELS))
    prep = BrainPreprocessor()
    loaded = {}

    def volume_at(i, lvl):
        if lvl == 0:  # levels run 0..4 per subject: load and preprocess the scan once
            vol = load_nifti(files[real[i]])
            loaded.clear()
            loaded.update(vol=vol, base=prep(vol))
            return loaded["base"].image
        return prep(native_atrophy(loaded["vol"], lvl, loaded["base"])).image

    change, probs = _measure_levels(model, len(real), volume_at)
    summary = {**change, **severity_checks(probs, real, "ventricles dilated / medial temporal grey matter eroded in "
                                                      "mm on the scan as stored, then the engine's whole "
                                                      "preprocessing")}
    return summary, probs


def severity_checks(probs: np.ndarray, subjects,
                    generator="radial expansion of the ventricles / contraction of the hippocampi about fixed MNI "
                              "points") -> dict:
    """The issue's targets measured with a generator written only for evaluation (nets/simulation/radial_atrophy.py:
    fixed MNI centres; the "radial" training mechanism uses random centres in each subject's own structures) on
    held-out real brains: expected severity per level, share of subjects whose severity rises with every level and
    whose most severe level is called LMCI or AD, and AD-vs-CN balanced accuracy (unmodified vs. level 4).
    probs: (subjects, levels, classes) from `by_generator`."""
    if not len(subjects):
        return {}
    curves = probs @ np.arange(LEVELS)
    called_ad_0 = np.mean(probs[:, 0, LEVELS - 1] > probs[:, 0, 0])
    called_ad_4 = np.mean(probs[:, -1, LEVELS - 1] > probs[:, -1, 0])
    return {"generator": generator, "subjects": list(subjects),
            "expected_severity_by_level": curves.mean(0).tolist(),
            "severity_rises_share": float(np.mean(curves[:, -1] > curves[:, 0])),
            "severity_rises_every_level_share": float(np.mean(np.all(np.diff(curves, axis=1) > 0, axis=1))),
            "most_severe_called_lmci_or_ad_share": float(np.mean(probs[:, -1].argmax(1) >= LEVELS - 2)),
            "ad_vs_cn_balanced_accuracy": float((called_ad_4 + 1 - called_ad_0) / 2)}


def _plot_relevance_examples(examples, path):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(9, 3 * len(examples)), dpi=90)
    for k, (img, rel, ch) in enumerate(examples):
        z = int(np.argmax(rel.sum((0, 1))))
        for j, (arr, title, cmap) in enumerate(((img, "input", "gray"), (rel, "LRP relevance", "hot"),
                                                (ch.astype(float), "changed tissue (truth)", "gray"))):
            ax = fig.add_subplot(len(examples), 3, k * 3 + j + 1)
            ax.imshow(arr[:, :, z].T[::-1], cmap=cmap)
            ax.set_title(f"{title}, axial {z}", fontsize=8)
            ax.axis("off")
    fig.tight_layout()
    fig.savefig(path)
