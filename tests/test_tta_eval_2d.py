"""nets/training/tta_eval_2d.py: the eight views are the eight symmetries of the square, and each view set's
figures come from the mean of its own views' logits."""
import numpy as np
import torch

from nets.training.tta_eval_2d import VIEWS, tta_report


def test_the_eight_views_are_distinct_symmetries():
    x = torch.arange(9.).reshape(1, 1, 3, 3)
    seen = {tuple(f(x).flatten().tolist()) for f in VIEWS["dihedral8"]}
    assert len(seen) == 8 and all(sorted(s) == list(range(9)) for s in seen)
    assert [len(v) for v in VIEWS.values()] == [1, 2, 4, 8]


def test_each_view_set_averages_only_its_own_views():
    labels = np.array([0, 1, 0, 1])
    right = np.where(labels[:, None] == np.arange(2), 2.0, -2.0)  # logits that pick the true class
    logits = np.stack([right] + [-3 * right] * 7)  # the first view right, every other view wrong and louder
    rep = tta_report(labels, logits, ["a", "b"])
    assert rep["none"]["balanced_accuracy"] == 1.0
    assert rep["hflip"]["balanced_accuracy"] == 0.0 and rep["dihedral8"]["balanced_accuracy"] == 0.0
