"""Unit tests of the trust package on tiny synthetic inputs: temperature scaling, ECE, the uncertainty rule, image
statistics, the 2D gate's decisions and persistence, the MRI tissue-contrast gate, typed refusals."""
import numpy as np
import pytest
from PIL import Image

from nets.errors import NotAChestXrayError, NotAT1BrainError, NotDermoscopyError, OutOfDistributionError
from nets.trust import temperature_scaling as ts
from nets.trust.feature_density import auroc, energy_score, fit_mahalanobis, mahalanobis_score
from nets.trust.image_statistics import image_statistics
from nets.trust.input_gate import ImageGate, Verdict
from nets.trust.uncertainty import MARGIN, headline, uncertainty


def _overconfident(n=4000, k=3, t_true=2.5, seed=0):
    """Logits whose calibrated temperature is t_true: labels drawn from softmax(z / t_true), model reports z."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, (n, k))
    p = ts.calibrated(z, t_true)
    y = np.array([rng.choice(k, p=row) for row in p])
    return z, y


def test_temperature_scaling_recovers_the_true_temperature_and_lowers_ece():
    z, y = _overconfident()
    t = ts.fit_temperature(z, y)
    assert 2.1 < t < 2.9
    before = ts.reliability(ts.calibrated(z, 1.0), y)["ece"]
    after = ts.reliability(ts.calibrated(z, t), y)["ece"]
    assert before > 0.08 and after < 0.03
    groups = np.arange(len(y)) % 50
    assert ts.cross_fitted_ece(z, y, groups) < 0.04


def test_top_label_map_fixes_what_one_temperature_cannot_and_keeps_every_answer():
    """A model under-confident on one class and over-confident on another (re-balanced training): one T leaves a
    large ECE, the top-label map on top of it removes most of it, and no answer changes."""
    from nets.trust import top_label_calibration as tl
    rng = np.random.default_rng(1)
    n = 6000
    y = rng.choice(3, n, p=[0.7, 0.2, 0.1])
    z = rng.normal(0, 1, (n, 3))
    z[np.arange(n), y] += np.where(y == 0, 1.0, 3.0)  # class 0 right often but shown unsure, rare classes sure
    z[:, 1:] += 1.2  # and rare classes over-predicted
    t = ts.fit_temperature(z, y)
    p = ts.calibrated(z, t)
    knots = tl.fit_top_label(p, y)
    q = tl.apply_top_label(p, knots)
    assert np.array_equal(q.argmax(1), p.argmax(1)) and np.allclose(q.sum(1), 1)
    assert ts.reliability(q, y)["ece"] < 0.5 * ts.reliability(p, y)["ece"]
    groups = np.arange(n) % 60
    cf = tl.cross_fitted_ece(z, y, groups)
    assert cf < ts.cross_fitted_ece(z, y, groups)
    one = tl.apply_top_label(p[0], knots)  # a single probability vector keeps its shape
    assert one.shape == (3,) and one.argmax() == p[0].argmax()


def test_card_probabilities_apply_the_cards_top_label_map():
    from nets.trust.gate_service import card_probabilities
    z = np.array([2.0, 1.0, 0.0])
    plain = card_probabilities({"calibration": {"temperature": 1.0}}, z)
    mapped = card_probabilities({"calibration": {"temperature": 1.0, "top_label": {"x": [0.0, 1.0], "y": [0.0, 0.5]}}}, z)
    assert mapped.argmax() == 0 and mapped[0] < plain[0] and mapped.sum() == pytest.approx(1.0, abs=1e-6)
    assert mapped[1] / mapped[2] == pytest.approx(plain[1] / plain[2], rel=1e-4)  # the rest keeps its proportions


def test_ece_is_zero_for_perfectly_calibrated_bins_and_large_for_overconfidence():
    probs = np.array([[0.9, 0.1]] * 10)
    y = np.array([0] * 9 + [1])
    assert ts.reliability(probs, y)["ece"] == pytest.approx(0.0, abs=1e-9)
    assert ts.reliability(probs, np.array([1] * 10))["ece"] == pytest.approx(0.9)


def test_reliability_diagram_is_written(tmp_path):
    z, y = _overconfident(500)
    t = ts.fit_temperature(z, y)
    p = ts.save_reliability_diagram(ts.reliability(ts.calibrated(z, 1), y), ts.reliability(ts.calibrated(z, t), y),
                                    t, tmp_path / "r.png", "test")
    assert Image.open(p).size[0] > 100


def test_uncertainty_rule_and_headline_in_both_languages():
    cls = ["NV", "MEL", "BCC"]
    close = uncertainty([0.549, 0.422, 0.029], cls)
    assert close["uncertain"] and close["runner_up"] == "MEL" and close["margin"] < MARGIN
    assert headline("NV", close, "en") == "uncertain between NV and MEL"
    assert "NV" in headline("NV", close, "zh") and "MEL" in headline("NV", close, "zh") and "不确定" in headline("NV", close, "zh")
    sure = uncertainty([0.8, 0.15, 0.05], cls)
    assert not sure["uncertain"] and headline("NV", sure) == "NV"


def test_image_statistics_see_size_aspect_and_colour():
    grey = Image.fromarray(np.tile(np.linspace(0, 255, 300, dtype=np.uint8), (200, 1)))
    s = image_statistics(grey)
    assert s["width"] == 300 and s["height"] == 200 and s["aspect"] == pytest.approx(1.5) and s["colourfulness"] < 1
    red = Image.fromarray(np.tile(np.array([200, 40, 40], np.uint8), (50, 50, 1)))
    assert image_statistics(red)["colourfulness"] > 100


def _toy_gate(task="chest"):
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(400, 8))
    labels = rng.integers(0, 2, 400)
    stats = dict(fit_mahalanobis(feats, labels), dims=np.array(8))
    colour = {"flag_above": 8.0, "refuse_above": 25.0} if task == "chest" else {"flag_below": 6.0, "refuse_below": 3.0}
    return ImageGate(task, "mahalanobis_all_layers", stats, flag=20.0, refuse=60.0, colour=colour, weights_sha256="x")


def _stats(w=224, h=224, colour=0.0):
    return {"width": w, "height": h, "min_side": min(w, h), "aspect": max(w, h) / min(w, h), "colourfulness": colour}


def test_image_gate_levels_from_statistics_and_features():
    g = _toy_gate()
    near, far, very_far = np.zeros((1, 8)), np.full((1, 8), 2.0), np.full((1, 8), 5.0)
    logits = np.zeros((1, 2))
    assert g.verdict(_stats(), logits, near).level == "ok"
    assert g.verdict(_stats(), logits, far).level == "flag"
    assert g.verdict(_stats(), logits, very_far).level == "refuse"
    assert g.verdict(_stats(1, 1), logits, near).level == "refuse"
    assert g.verdict(_stats(2000, 40), logits, near).level == "refuse"
    assert g.verdict(_stats(colour=60), logits, near).level == "refuse"
    assert g.verdict(_stats(colour=12), logits, near).level == "flag"
    skin = _toy_gate("skin")
    assert skin.verdict(_stats(colour=1), logits, near).level == "refuse"
    assert skin.verdict(_stats(colour=30), logits, near).level == "ok"


def test_image_gate_round_trips_through_npz(tmp_path):
    g = _toy_gate()
    g.save(tmp_path / "g.npz")
    h = ImageGate.load(tmp_path / "g.npz")
    f = np.random.default_rng(1).normal(size=(5, 8))
    assert np.allclose(g.score(None, f), h.score(None, f))
    assert (h.task, h.flag, h.refuse, h.colour, h.weights_sha256) == (g.task, g.flag, g.refuse, g.colour, "x")


def test_mahalanobis_and_auroc_separate_shifted_features():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(500, 4))
    st = fit_mahalanobis(f, np.zeros(500, int))
    inside, outside = mahalanobis_score(rng.normal(size=(100, 4)), st), mahalanobis_score(rng.normal(4, 1, (100, 4)), st)
    assert auroc(inside, outside) > 0.99 and auroc(inside, inside) == pytest.approx(0.5)
    assert energy_score(np.array([[10.0, 0.0]]))[0] < energy_score(np.array([[0.0, 0.0]]))[0]


def test_brain_gate_refuses_inverted_and_flat_contrast():
    from nets.transforms.templates import get_templates
    from nets.trust.brain_contrast import BrainGate, tissue_contrast
    t = get_templates()
    gate = BrainGate({"wm_gm_contrast": 0.1, "gm_csf_contrast": 0.2}, {"wm_gm_contrast": 0.04,
                                                                       "gm_csf_contrast": 0.08})
    t1 = np.where(t.brain_mask, t.brain, 0).astype(np.float32)
    c = tissue_contrast(t1)
    assert c["wm_gm_contrast"] > 0.15 and c["gm_csf_contrast"] > 0.3
    assert gate.verdict(t1).level == "ok"
    inverted = np.where(t.brain_mask, 1.2 - t.brain, 0).astype(np.float32)
    assert gate.verdict(inverted).level == "refuse"
    flat = np.where(t.brain_mask, 1.0, 0).astype(np.float32)
    assert gate.verdict(flat).level == "refuse"


def test_refusals_are_typed_and_say_they_can_be_forced():
    v = Verdict("refuse", ["the image is only 1x1 pixels"], 1.0, 0.5, 0.9, "x")
    for cls, code in ((NotAChestXrayError, "not_a_chest_xray"), (NotDermoscopyError, "not_dermoscopy"),
                      (NotAT1BrainError, "not_a_t1_brain")):
        e = cls("msg", "chest", v.to_json())
        assert isinstance(e, OutOfDistributionError)
        d = e.to_dict()
        assert d["error"] == code and d["can_force"] is True and d["gate"]["level"] == "refuse"


def test_act_on_refuses_unless_forced_and_warns_when_flagged():
    from nets.trust.gate_service import act_on
    refuse = Verdict("refuse", ["too small"], 1.0)
    with pytest.raises(NotDermoscopyError):
        act_on("skin", refuse, force=False)
    w = act_on("skin", refuse, force=True)
    assert len(w) == 1 and "force" in w[0]
    assert "Unusual input" in act_on("chest", Verdict("flag", ["odd"], 1.0), force=False)[0]
    assert act_on("chest", Verdict("ok"), force=False) == [] and act_on("chest", None, False) == []


def test_refuse_limit_is_not_set_by_one_odd_validation_image():
    """Twice the 99.5th percentile of the validation scores: one outlier among a thousand photos (skin: 12,626
    against 1,119) must not lift the limit past cartoons and landscapes, as twice the largest score did."""
    from nets.trust.fit_image_gate import refuse_threshold
    rng = np.random.default_rng(0)
    scores = rng.gamma(4.0, 70.0, 1000)
    assert refuse_threshold(scores) == pytest.approx(2 * np.quantile(scores, 0.995))
    assert refuse_threshold(np.append(scores, 12_626.0)) < 1.2 * refuse_threshold(scores)  # not 2 x 12,626
    assert refuse_threshold(scores) < 2 * scores.max()
