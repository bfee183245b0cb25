"""Fit a 2D model's input gate and temperature on its validation split (the training code's own group split)."""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from nets.trust import feature_density as fd
from nets.trust.image_statistics import image_statistics
from nets.trust.input_gate import ImageGate, gate_path_for
from nets.trust import temperature_scaling as ts
from nets.trust import top_label_calibration as tl

FLAG_QUANTILE = 0.985  # in-distribution validation images flagged by the feature score: 1.5 %
REFUSE_FACTOR, REFUSE_QUANTILE = 2.0, 0.995  # refuse beyond twice the validation scores' 99.5th percentile; twice
# the largest, the rule until 2026-12-02, let one odd validation photo (skin: 12,626 against 1,119 at the 99.5th
# percentile) put the skin limit at 25,252, so a cartoon face (6,671) or a landscape (17,308) was answered
# "melanoma" with a caution note instead of refused (page probe)

CROSS_TASK_IMAGES = 80
METHODS = ("mahalanobis_all_layers", "mahalanobis_penultimate", "knn_penultimate", "energy")


def _decode(raw, contract):
    from nets.io.image_loader import decode_image
    img = decode_image(raw)
    arr = np.asarray(img.convert(contract["mode"]).resize((contract["size"], contract["size"]), 2), np.uint8)
    return image_statistics(img), arr


def ood_sets(task: str, corpus: Path, data: Path, contract: dict) -> dict:
    """{'validation': [...], 'test': [...]}, each item (category, name, statistics, model-input array)."""
    out = {"validation": [], "test": [], "undecodable": []}
    for split in ("validation", "test"):
        for p in sorted((corpus / split).glob("*")):
            try:
                st, arr = _decode(p.read_bytes(), contract)
            except Exception as e:  # refused by the reader already (e.g. a DICOM without pixels)
                out["undecodable"].append(f"{p.name}: {e}")
                continue
            out[split].append((p.name.split("__")[0], p.name, st, arr))
    other = "skin" if task == "chest" else "chest"
    pattern = "chest_xray/train/*/*.jpeg" if other == "chest" else "skin_lesions/images/*/*.jpg"
    files = sorted(data.glob(pattern))
    random.Random(0).shuffle(files)
    for i, f in enumerate(files[:CROSS_TASK_IMAGES]):
        st, arr = _decode(f.read_bytes(), contract)
        out["validation" if i % 2 == 0 else "test"].append((f"{other}_image", f.name, st, arr))
    return out


def colour_thresholds(task: str, val_colour: np.ndarray) -> dict:
    """Chest: refuse colour well above the most colourful validation film; skin: refuse far below the greyest
    validation photo."""
    if task == "chest":
        top = float(val_colour.max())
        return {"flag_above": top + 8.0, "refuse_above": top + 25.0}
    low = float(val_colour.min())
    return {"flag_below": 0.75 * low, "refuse_below": 0.4 * low}


def gate_for(method, task, train, val, colour, sha, pen_dims):
    """A gate with `method` fitted on the training (logits, features, labels); thresholds from the validation
    scores: flag above their 98.5th percentile, refuse as refuse_threshold says."""
    (tl, tf, ty), (vl, vf) = train, val
    dims = tf.shape[1] if method == "mahalanobis_all_layers" else pen_dims
    stats = {}
    if method.startswith("mahalanobis"):
        stats = fd.fit_mahalanobis(tf[:, -dims:], ty)
    elif method.startswith("knn"):
        stats = fd.fit_knn(tf[:, -dims:])
    g = ImageGate(task, method, dict(stats, dims=np.array(dims)), 0.0, 0.0, colour, sha)
    scores = g.score(vl, vf)
    g.flag = float(np.quantile(scores, FLAG_QUANTILE))
    g.refuse = refuse_threshold(scores)
    return g, scores


def refuse_threshold(scores: np.ndarray) -> float:
    """Twice the validation scores' 99.5th percentile (energy: its distance from 0): robust to a few odd images."""
    high = float(np.quantile(scores, REFUSE_QUANTILE))
    return high + (REFUSE_FACTOR - 1) * abs(high)


def rates(gate: ImageGate, items, logits, feats) -> dict:
    by_cat, levels = {}, []
    for (cat, name, st, _), lo, fe in zip(items, logits, feats):
        v = gate.verdict(st, lo[None], fe[None])
        levels.append(v.level)
        by_cat.setdefault(cat, []).append(v.level)
    n = max(len(levels), 1)
    return {"n": len(levels), "refused": levels.count("refuse") / n, "flagged": levels.count("flag") / n,
            "refused_or_flagged": (len(levels) - levels.count("ok")) / n,
            "by_category": {c: {"n": len(v), "refused_or_flagged": sum(x != "ok" for x in v)} for c, v in
                            sorted(by_cat.items())},
            "answered_without_warning": [i[1] for i, lv in zip(items, levels) if lv == "ok"]}


def _forward(module, arrays, contract):
    if not len(arrays):
        return np.zeros((0, module.head.out_features)), np.zeros((0, 1))
    return fd.batched_logits_and_features(module, np.stack(arrays), contract)


def ham10000_halves(data: Path) -> tuple:
    """The skin_ham10000 photos of the skin validation split (nets.training.splits_2d: training never read them;
    another resize) split by lesion into two halves: the first joins the validation images the thresholds are
    chosen on, the second is only reported."""
    import csv
    import hashlib
    from nets.training.splits_2d import split_files_2d
    root = data / "skin_ham10000"
    if not (root / "labels.csv").exists():
        return [], []
    with open(root / "labels.csv", newline="") as f:
        lesion = {r["isic_id"]: r["lesion_id"] or r["isic_id"] for r in csv.DictReader(f)}
    files = sorted(p for p in split_files_2d("skin", data)[1] if "skin_ham10000" in p.parts)
    half = lambda p: int(hashlib.md5(lesion.get(p.stem, p.stem).encode()).hexdigest(), 16) % 2
    a, b = [p for p in files if half(p) == 0], [p for p in files if half(p) == 1]
    random.Random(0).shuffle(a)
    random.Random(0).shuffle(b)
    return a, b


def _items(paths, category, contract):
    out = []
    for p in paths:
        st, arr = _decode(p.read_bytes(), contract)
        out.append((category, p.name, st, arr))
    return out


def extra_in_distribution(task: str, data: Path, contract: dict, n: int = 300) -> list:
    """Real images of the task that neither training nor threshold choice read: the second half of skin_ham10000;
    for chest, the adult chest radiograph RG1_UNCR.dcm of pydicom's test files."""
    if task == "skin":
        return _items(ham10000_halves(data)[1][:n], "ham10000_second_half", contract)
    try:
        from pydicom.data import get_testdata_file
        return _items([Path(get_testdata_file("RG1_UNCR.dcm"))], "adult_chest_dicom", contract)
    except Exception:
        return []


def fit_image_trust(task: str, data: Path, corpus: Path, weights=None, train_sample: int = 2000) -> dict:
    from nets.registry import ModelRegistry
    from nets.model_card import card_path_for, sha256_file
    from nets.training.splits_2d import train_val_split_2d
    m = ModelRegistry().get(task=task, weights=weights)
    cfg, c = m.config, m.config.input
    card_file = card_path_for(Path(m.weights_path))
    split = json.loads(card_file.read_text()).get("split", {})
    ds, tr, va = train_val_split_2d(task, data, cfg, val_fraction=split.get("val_fraction", 0.2),
                                    seed=split.get("seed", 0))
    if task == "skin":  # the second half of the HAM10000 validation photos is only reported (extra_in_distribution)
        held = {p.name for p in ham10000_halves(data)[1]}
        va = np.array([i for i in va if Path(ds.files[i]).name not in held])
    tr_fit = np.random.default_rng(0).permutation(tr)[:train_sample]
    train = (*fd.batched_logits_and_features(m.module, ds.images[tr_fit], c), ds.labels[tr_fit])
    val = fd.batched_logits_and_features(m.module, ds.images[va], c)
    val_items = [("validation", Path(ds.files[i]).name, image_statistics(_open(ds.files[i])), None) for i in va]
    colour = colour_thresholds(task, np.array([s[2]["colourfulness"] for s in val_items]))
    ood = ood_sets(task, corpus, data, c)
    ood_fw = {k: _forward(m.module, [x[3] for x in ood[k]], c) for k in ("validation", "test")}
    extra = extra_in_distribution(task, data, c)
    extra_fw = _forward(m.module, [x[3] for x in extra], c)
    sha = sha256_file(m.weights_path)
    comparison, gates = {}, {}
    for method in METHODS:
        g, val_scores = gate_for(method, task, train, val, colour, sha, m.module.head.in_features)
        gates[method] = g
        ov = rates(g, ood["validation"], *ood_fw["validation"])
        comparison[method] = {"auroc_validation": round(fd.auroc(val_scores, g.score(*ood_fw["validation"])), 4),
                              "ood_validation_refused_or_flagged": round(ov["refused_or_flagged"], 4),
                              "in_distribution_validation_flagged": round(
                                  rates(g, val_items, *val)["refused_or_flagged"], 4)}
    best = max(METHODS, key=lambda k: (comparison[k]["ood_validation_refused_or_flagged"],
                                       comparison[k]["auroc_validation"]))
    g = gates[best]
    gate_file = g.save(gate_path_for(m.weights_path))
    report = {"comparison_on_validation": comparison, "chosen": best, **g.card_entry(),
              "how_chosen": ("fitted on the features of %d training images; thresholds on the validation split "
                             "(the training code's group split): flag above the %.1fth percentile of the validation "
                             "images' scores, refuse beyond %.0fx their 99.5th percentile; colour limits from the validation "
                             "images' range; method = the one refusing or flagging most of the corpus's validation "
                             "part%s" % (len(tr_fit), FLAG_QUANTILE * 100, REFUSE_FACTOR,
                                         "; skin: validation images = the validation split of both skin folders "
                                         "(nets.training.splits_2d) less the second half by lesion of its HAM10000 "
                                         "photos, which is only reported" if task == "skin" else "")),
              "in_distribution_validation": _summary(rates(g, val_items, *val)),
              "in_distribution_extra": _summary(rates(g, extra, *extra_fw)) if extra else None,
              "ood_validation": _summary(rates(g, ood["validation"], *ood_fw["validation"])),
              "ood_test": _summary(rates(g, ood["test"], *ood_fw["test"])),
              "gate_file": gate_file.name, "command": f"python -m nets.fit_trust {task}"}
    cal = calibration_report(task, val[0][:len(va)], ds.labels[va], ds.groups[va], m, card_file)
    _write_card(card_file, report, cal, cfg)
    return {"model": m.name, "input_gate": report, "calibration": cal}


def refit_calibration(task: str, data: Path, weights=None) -> dict:
    """The card's `calibration` alone, on the same validation images as fit_image_trust (the gate is untouched);
    skin also reports the ECE on the held-back half of its HAM10000 validation photos, which fitting never sees."""
    from nets.registry import ModelRegistry
    from nets.model_card import card_path_for
    from nets.training.splits_2d import train_val_split_2d
    m = ModelRegistry().get(task=task, weights=weights)
    card_file = card_path_for(Path(m.weights_path))
    split = json.loads(card_file.read_text()).get("split", {})
    ds, _, va = train_val_split_2d(task, data, m.config, val_fraction=split.get("val_fraction", 0.2),
                                   seed=split.get("seed", 0))
    held = {p.name for p in ham10000_halves(data)[1]} if task == "skin" else set()
    fit_idx = np.array([i for i in va if Path(ds.files[i]).name not in held])
    logits, _ = fd.batched_logits_and_features(m.module, ds.images[fit_idx], m.config.input)
    cal = calibration_report(task, np.asarray(logits), ds.labels[fit_idx], ds.groups[fit_idx], m, card_file)
    held_idx = np.array([i for i in va if Path(ds.files[i]).name in held])
    if len(held_idx):
        from nets.trust.gate_service import card_probabilities
        z, _ = fd.batched_logits_and_features(m.module, ds.images[held_idx], m.config.input)
        shipped = np.stack([card_probabilities({**m.card, "calibration": cal}, v) for v in np.asarray(z)])
        cal["held_back_check"] = {"images": "the held-back half (by lesion) of the HAM10000 validation photos",
                                  "n": int(len(held_idx)),
                                  "ece_uncalibrated": round(ts.reliability(ts.calibrated(np.asarray(z), 1.0),
                                                                           ds.labels[held_idx])["ece"], 4),
                                  "ece_shipped": round(ts.reliability(shipped, ds.labels[held_idx])["ece"], 4)}
    cal["command"] = f"python -m nets.fit_trust {task} --calibration-only"
    card = json.loads(card_file.read_text())
    card["calibration"] = cal
    card_file.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
    return {"model": m.name, "calibration": cal}


def _open(path):
    from nets.io.image_loader import decode_image
    return decode_image(Path(path).read_bytes())


def _summary(r: dict) -> dict:
    out = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
    out["answered_without_warning"] = r["answered_without_warning"][:20]
    return out


def calibration_report(task, logits, labels, groups, m, card_file) -> dict:
    """Temperature scaling, or BCTS (temperature + class offsets) when its cross-fitted ECE is lower by 0.005.
    A model with a decision threshold folded into its bias (card `decision_prior`, e.g. chest) keeps it."""
    if (json.loads(card_file.read_text()).get("decision_prior") or {}).get("logit_offsets") is not None:
        return _calibration_keeping_offsets(task, logits, labels, groups, m, card_file)
    cf_t, cf_b = (ts.cross_fitted_ece(logits, labels, groups, with_bias=w) for w in (False, True))
    if cf_b < cf_t - 0.005:
        t, bias = ts.fit_bias_temperature(logits, labels)
        method = (f"bias-corrected temperature scaling (one T plus one offset per class, L2 {ts.BIAS_L2}), NLL on "
                  "the validation split")
    else:
        t, bias = ts.fit_temperature(logits, labels), None
        method = "temperature scaling (one T for all classes), NLL on the validation split"
    knots, cf_top = None, None
    if bias is None:  # one T cannot fix both ends (re-balanced training): try the top-label map on top of it
        cf_top = tl.cross_fitted_ece(logits, labels, groups)
        if cf_top < cf_t - 0.005:
            knots = tl.fit_top_label(ts.calibrated(logits, t), labels)
            method += ("; then top-label calibration: the answered class's probability through an isotonic fit of "
                       "P(right) on the validation split, argmax kept (nets/trust/top_label_calibration.py)")
    shipped = ts.calibrated(logits, t, bias)
    if knots is not None:
        shipped = tl.apply_top_label(shipped, knots)
    before = ts.reliability(ts.calibrated(logits, 1.0), labels)
    after = ts.reliability(shipped, labels)
    plot_dir = card_file.parent / (Path(m.weights_path).stem + "_plots")
    png = ts.save_reliability_diagram(before, after, t, plot_dir / "reliability.png",
                                      f"{m.name}: validation, {len(labels)} images", with_bias=bias is not None,
                                      with_top_label=knots is not None)
    chosen_cf = cf_top if knots is not None else (min(cf_t, cf_b) if bias is not None else cf_t)
    return {"method": method, "temperature": round(t, 4),
            "class_bias": None if bias is None else [round(float(b), 4) for b in bias],
            **({"top_label": knots} if knots is not None else {}),
            "n_validation": int(len(labels)),
            "ece_before": round(before["ece"], 4), "ece_after": round(after["ece"], 4),
            "ece_after_cross_fitted": round(chosen_cf, 4),
            "cross_fitted_ece_candidates": {"temperature": round(cf_t, 4), "temperature_and_class_bias": round(cf_b, 4),
                                            **({"temperature_and_top_label": round(cf_top, 4)}
                                               if cf_top is not None else {})},
            "nll_before": round(ts.nll(logits, labels, 1.0), 4),
            **ts.decisions(ts.calibrated(logits, 1.0), shipped, labels),
            "ece_bins": ts.BINS, "reliability_diagram": str(Path(png).relative_to(card_file.parent)),
            "logits": "one forward pass, no test-time augmentation (as the service answers)",
            "command": f"python -m nets.fit_trust {task}"}


def _calibration_keeping_offsets(task, logits, labels, groups, m, card_file) -> dict:
    """One temperature on the logits as they are (threshold folded in): dividing by T > 0 keeps every argmax, so
    the decision stays at the threshold chosen on validation; no class offsets (they would move it)."""
    z = np.asarray(logits, np.float64)
    t = ts.fit_temperature(z, labels)
    before, after = (ts.reliability(ts.calibrated(z, tt), labels) for tt in (1.0, t))
    plot_dir = card_file.parent / (Path(m.weights_path).stem + "_plots")
    png = ts.save_reliability_diagram(before, after, t, plot_dir / "reliability.png",
                                      f"{m.name}: validation, {len(labels)} images")
    return {"method": ("temperature scaling (one T), NLL on the validation split, of the logits with the decision "
                       "threshold folded in (decision_prior): T keeps every decision"),
            "temperature": round(t, 4), "class_bias": None, "prior_offsets_kept": False,
            "n_validation": int(len(labels)), "ece_before": round(before["ece"], 4),
            "ece_after": round(after["ece"], 4),
            "ece_after_cross_fitted": round(ts.cross_fitted_ece(z, labels, groups), 4),
            "nll_before": round(ts.nll(z, labels, 1.0), 4),
            **ts.decisions(ts.calibrated(z, 1.0), ts.calibrated(z, t), labels),
            "ece_bins": ts.BINS, "reliability_diagram": str(Path(png).relative_to(card_file.parent)),
            "logits": "one forward pass, no test-time augmentation (as the service answers)",
            "command": f"python -m nets.fit_trust {task}"}


def _write_card(card_file: Path, gate: dict, calibration: dict, cfg) -> None:
    card = json.loads(card_file.read_text())
    card["input_gate"] = gate
    card["calibration"] = calibration
    if cfg.scope:
        card["scope"] = cfg.scope
    card_file.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
