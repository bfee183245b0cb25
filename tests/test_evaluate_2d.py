"""Validation figures of the 2D models: HAM 7-class view, group bootstrap, threshold folding, strong augmentation."""
import numpy as np
import torch

from nets.training import evaluate_2d as ev
from nets.training.adopt_2d import probs_at_threshold
from nets.training.augment_strong_2d import augment_strong

SKIN = ["AK", "BCC", "BKL", "DF", "MEL", "NV", "SCC", "VASC"]


def test_ham7_counts_ak_for_scc_as_right():
    y = np.array([0, 6, 6, 4, 5])  # AK, SCC, SCC, MEL, NV
    pred = np.array([6, 0, 4, 4, 4])  # SCC, AK, MEL, MEL, MEL
    r = ev.ham7_recall(y, pred, SKIN)
    assert r["per_class_recall"] == {"AKIEC": 2 / 3, "MEL": 1.0, "NV": 0.0}
    assert abs(r["mean_recall"] - (2 / 3 + 1) / 3) < 1e-9


def test_threshold_for_sensitivity_and_its_folding_into_the_logits():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    score = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0.001, 0.999)
    t = ev.threshold_for_sensitivity(y, score, 0.95)
    se, sp = ev.sens_spec(y, score, t)
    assert se >= 0.95 and se - 0.95 < 0.01 and 0 < sp < 1
    p = np.stack([1 - score, score], 1)
    z = np.log(p) + np.array(ev.logit_offsets_for_threshold(t))
    folded = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    assert np.allclose(folded, probs_at_threshold(p, t))
    assert np.array_equal(folded.argmax(1) == 1, score >= t)


def test_bootstrap_resamples_groups_and_brackets_the_estimate():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(3), 40)
    probs = np.eye(3)[np.where(rng.random(120) < 0.8, y, (y + 1) % 3)] * 0.8 + 0.2 / 3
    groups = np.array([f"g{i // 2}" for i in range(120)])
    ci = ev.bootstrap_ci(y, probs, groups, ["a", "b", "c"], n_boot=60)
    bal = np.mean([(probs.argmax(1)[y == c] == c).mean() for c in range(3)])
    assert ci["balanced_accuracy"][0] < bal < ci["balanced_accuracy"][1]
    assert set(ci) >= {"auc", "recall_a", "ham7_mean_recall"}


def test_strong_augmentation_keeps_shape_and_range():
    g = torch.Generator().manual_seed(0)
    for task, c in (("skin", 3), ("chest", 1)):
        x = torch.rand(4, c, 32, 32)
        y = augment_strong(x, task, g)
        assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1 and not torch.allclose(x, y)
