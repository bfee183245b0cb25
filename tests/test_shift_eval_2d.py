"""Acquisition shifts of the 2D validation (nets/training/shift_eval_2d.py) and the frame augmentation that answers
the skin model's frame shortcut (nets/training/border_paint.py)."""
import numpy as np
import torch

from nets.training import shift_eval_2d as se
from nets.training.border_paint import border_paint, round_frame, solid_frame


def _photos(n=2, size=40):
    return np.full((n, size, size, 3), 150, dtype=np.uint8)


def test_frames_and_round_field_blacken_only_the_edge():
    a = _photos()
    f = se.border_mask(a, 0.1, 255)
    assert (f[:, :4] == 255).all() and (f[:, -4:] == 255).all() and (f[:, 4:-4, 4:-4] == 150).all()
    r = se.round_field(a, 1.0)
    assert (r[:, 0, 0] == 0).all() and (r[:, 20, 20] == 150).all() and (r[:, 20, 0] == 150).all()
    assert (se.round_field(a, 0.9)[:, 20, 0] == 0).all()  # a smaller field cuts into the sides


def test_colour_shifts_change_colour_not_layout():
    a = _photos()
    warm = se.SKIN_SHIFTS["warm_cast"](a)
    assert warm[..., 0].mean() > 150 > warm[..., 2].mean() and warm.dtype == np.uint8
    grey = np.repeat(np.arange(0, 250, 6, dtype=np.uint8)[None, :40, None], 40, 0)[None].repeat(3, -1)
    grey[..., 0] = 200
    assert se.saturation(grey, 0.0).std(-1).max() < 1  # no saturation: every channel the same


def test_multiclass_shift_report_gives_recall_per_class():
    y = np.array([0, 0, 1, 1, 2, 2])
    good = np.eye(3)[y] * 0.9 + 0.05
    bad = np.tile([0.9, 0.05, 0.05], (6, 1))
    rep = se.multiclass_shift_report(y, {"none": good, "frame": bad}, ["A", "B", "C"])
    assert rep["none"]["balanced_accuracy"] == 1.0 and rep["frame"]["balanced_accuracy"] == round(1 / 3, 4)
    assert rep["frame"]["per_class_recall"] == {"A": 1.0, "B": 0.0, "C": 0.0}


def test_solid_and_round_frames_leave_the_centre():
    g = torch.Generator().manual_seed(3)
    x = torch.full((32, 3, 48, 48), 0.5)
    flat = solid_frame(x, g)
    assert torch.equal(flat[:, :, 20:28, 20:28], x[:, :, 20:28, 20:28])
    assert (flat != x).flatten(1).any(1).float().mean() > 0.9  # nearly every image gets some frame
    edge = flat[:, 0, 0, :].flatten()
    assert (edge < 0.1).any() and (edge > 0.85).any()  # black frames and white ones
    rnd = round_frame(x, g)
    assert torch.equal(rnd[:, :, 22:26, 22:26], x[:, :, 22:26, 22:26])
    assert (rnd[:, 0, 0, 0] < 0.1).float().mean() > 0.8  # corners fall outside nearly every field of view


def test_border_paint_without_frames_keeps_its_random_stream():
    x = torch.rand(16, 3, 32, 32)
    a = border_paint(x, torch.Generator().manual_seed(0), 0.3)
    b = border_paint(x, torch.Generator().manual_seed(0), 0.3, 0.0)
    c = border_paint(x, torch.Generator().manual_seed(0), 0.3, 0.6)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(border_paint(x, torch.Generator().manual_seed(0), 0.0, 0.0), x)


def _fake_validation(size=50, per_class=4):
    from types import SimpleNamespace
    labels = np.repeat(np.arange(8), per_class)
    images = np.full((len(labels), size, size, 3), 128, dtype=np.uint8)
    images[:, 20:30, 20:30] = (40 + 20 * labels)[:, None, None, None]  # the "lesion" says the class
    return SimpleNamespace(images=images, labels=labels), np.arange(len(labels))


def _fake_probs(kind):
    def probs(weights, cfg, images, tag):
        label = (images[:, 25, 25, 0].astype(int) - 40) // 20
        if kind == "old":  # a frame or a dark corner means melanoma, whatever the lesion
            framed = (images[:, 0, 0, 0] < 20) | (images[:, 0, 0, 0] > 240)
            label = np.where(framed, list(cfg.classes).index("MEL"), label)
        if kind == "worse":  # never right about the first class
            label = np.where(label == 0, 1, label)
        return np.eye(8)[label] * 0.9 + 0.1 / 8
    return probs


def test_frames_pool_installs_only_a_model_frames_do_not_fool_and_that_keeps_plain_photos(monkeypatch):
    """adopt_2d skin --frames-pool: the framed copies decide, but a candidate may lose at most max_bacc_drop of
    balanced accuracy on the plain photos."""
    from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK
    from nets.training import adopt_2d
    cfg = CONFIGS[DEFAULT_MODEL_FOR_TASK["skin"]]
    ds, va = _fake_validation()
    for candidate, expect in (("robust.pt", True), ("worse.pt", False)):
        kinds = {str(cfg.weights): "old", "robust.pt": "robust", "worse.pt": "worse"}
        monkeypatch.setattr(adopt_2d, "cached_probs",
                            lambda w, c, im, tag: _fake_probs(kinds[str(w)])(w, c, im, tag))
        res = adopt_2d.compare("skin", cfg, ds, va, candidate, 0.95, frames_pool=True)
        old, new = res["old"]["frames"], res["new"]["frames"]
        assert old["per_shift"]["border_mask_12pct"]["answers_mel"] == 1.0
        assert res["better"] is expect, (candidate, res["old"]["balanced_accuracy"], res["new"]["balanced_accuracy"])
        assert new["pooled_balanced_accuracy"] > old["pooled_balanced_accuracy"]  # both beat the fooled model here
    plain = adopt_2d.compare("skin", cfg, ds, va, "worse.pt", 0.95)
    assert plain["better"] is False and "frames" not in plain["new"]
