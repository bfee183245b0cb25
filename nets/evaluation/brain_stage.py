"""The stage model's held-out evaluation written into its card: confusion over simulated severity levels, AD vs CN,
relevance concentration in the changed tissue, per-generator severity curves, and the real-brain checks."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from nets.data.brain_subjects import is_real_subject
from nets.data.simulated_atrophy_dataset import SimulatedAtrophyDataset
from nets.evaluation.real_brains import (real_brain_probabilities, real_brains_called_cn,
                                         real_brains_not_cn_occlusion, real_brains_under_acquisition,
                                         real_brains_under_shifts, real_brains_under_warps)
from nets.simulation.atrophy import LEVELS, simulate
from nets.transforms.brain_preprocessing import model_mask

# subjects of the costly checks (acquisition variants, native generator, per-mechanism curves): at most this many
# ds002748 and IXI ones; with 22 validation subjects the full set took longer than a training run on a shared CPU
PIPELINE_DS, PIPELINE_IXI = 3, 3


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
    m["by_generator"], gen_probs = by_generator(model, brains, subjects, data_dir=data_dir)
    m["independent_generator"] = severity_checks(gen_probs["evaluation_radial_generator"],
                                                 [s for s in subjects if is_real_subject(s)])
    m["real_brains_warped"] = real_brains_under_warps(model, brains, subjects)
    m["real_brains_not_cn_occlusion"] = real_brains_not_cn_occlusion(model, brains, subjects,
                                                                     probs=m["real_brain_probabilities"])
    if data_dir is not None:  # whole-pipeline checks (preprocessing per volume): a subset, see pipeline_subjects
        few = pipeline_subjects(subjects, data_dir)
        m["native_generator"], _ = native_generator(model, data_dir, few)
        m["real_brains_acquisition"] = real_brains_under_acquisition(model, data_dir, few)
    if plot_dir is not None:
        from nets.render.plots import save_confusion_matrix
        Path(plot_dir).mkdir(parents=True, exist_ok=True)
        save_confusion_matrix(m["confusion_matrix"], list(SEVERITY_ORDER), Path(plot_dir) / "confusion_matrix.png",
                              "simulated severity, held-out subjects")
        if examples:
            _plot_relevance_examples(examples, Path(plot_dir) / "relevance_vs_ground_truth.png")
    return m


def pipeline_subjects(subjects, data_dir=None, n_ds=PIPELINE_DS, n_ixi=PIPELINE_IXI) -> list:
    """The subjects of the costly checks (each volume preprocessed again, 3-20 s on a shared CPU): `n_ds` ds002748
    and `n_ixi` IXI ones, each spread over their ages (youngest to oldest)."""
    from nets import SHARED_DATA
    from nets.data.subject_ages import subject_ages
    ages = subject_ages(data_dir or SHARED_DATA)
    out = []
    for prefix, n in (("sub-", n_ds), ("IXI", n_ixi)):
        group = sorted((s for s in subjects if s.startswith(prefix)), key=lambda s: (ages.get(s, 0.0), s))
        out += sorted({group[int(round(k))] for k in np.linspace(0, len(group) - 1, n)}) if len(group) > n else group
    return out


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


def by_generator(model, brains, subjects, mechanisms=("push", "replace", "radial", "ventricles"),
                 data_dir=None) -> tuple:
    """One pass per atrophy generator on the held-out real brains (no nuisance): how big each level's change is and
    what the model makes of it (`_measure_levels`, plus the mean expected severity). Generators: each training
    mechanism alone ("ventricles" = the push on the ventricles without any medial temporal change) and the
    evaluation-only radial generator, whose probabilities also feed `severity_checks` (all subjects; the training
    mechanisms on `pipeline_subjects` when there are more than six)."""
    from nets.simulation.radial_atrophy import radial_atrophy
    real = [s for s in subjects if is_real_subject(s)]
    few = pipeline_subjects(real, data_dir) if len(real) > 6 else real
    gens = {m: (lambda img, lvl, i, m=m: simulate(img, lvl, np.random.default_rng([i, lvl]), augment=False,
                                                   mechanism=m).image) for m in mechanisms}
    gens["evaluation_radial_generator"] = lambda img, lvl, i: radial_atrophy(img, lvl)
    out, probs = {}, {}
    for name, gen in gens.items():
        subs = real if name == "evaluation_radial_generator" else few
        change, p = _measure_levels(model, len(subs), lambda i, lvl: gen(brains[subs[i]], lvl, real.index(subs[i])))
        probs[name] = p
        out[name] = {**change, "expected_severity": (p @ np.arange(LEVELS)).mean(0).round(3).tolist(),
                     "subjects": len(subs)}
    return out, probs


def native_generator(model, data_dir, subjects):
    """The evaluation-only morphological generator on the scans as stored (nets/simulation/native_atrophy.py), each
    level taken through the engine's whole preprocessing. Returns (summary, probs (subjects, levels, classes))."""
    from nets.data.brain_subjects import subject_files
    from nets.io.nifti_loader import load_nifti
    from nets.simulation.native_atrophy import native_atrophy
    from nets.transforms.brain_preprocessing import BrainPreprocessor
    files = subject_files(data_dir)
    real = [s for s in subjects if is_real_subject(s) and s in files]
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
