"""Brain age: ridge (linear and Gaussian kernel) fit, the model file, bias correction on synthetic data, the age field's validation, the gap's words, and the
committed model against its card on real validation subjects (skips without ../shared/data)."""
import json

import numpy as np
import pytest

from nets.errors import InvalidAgeError
from nets.inference.brain_age import (WEIGHTS, BrainAgeModel, brain_age_result, brain_age_sentence, gap_meaning,
                                      load_brain_age_model, parse_age)
from nets.training.ridge_age import corrected, fit_bias_correction, fit_ridge
from tests.conftest import ROOT, need_shared


def test_ridge_recovers_a_linear_age_signal():
    rng = np.random.default_rng(0)
    age = rng.uniform(20, 80, 60)
    x = rng.normal(size=(60, 500)) + np.outer(age - 50, rng.normal(size=500)) * 0.05
    m = fit_ridge(x[:40], age[:40], alpha=0.1)
    assert np.mean(np.abs(m.predict(x[40:]) - age[40:])) < 5


def test_gaussian_kernel_follows_a_bend_the_linear_kernel_misses_and_survives_the_file(tmp_path):
    """Age that changes a feature faster after 55 (as the intensity histogram does): the RBF member fits the bend;
    saved and loaded through the model file it predicts the same."""
    from nets.training.train_brain_age import save_weights
    rng = np.random.default_rng(1)
    age = rng.uniform(20, 80, 120)
    signal = np.where(age < 55, (age - 20) * 0.02, 0.7 + (age - 55) * 0.12)
    x = np.stack([signal, signal ** 2, rng.normal(size=120) * 0.05, rng.normal(size=120) * 0.05], 1)
    x += rng.normal(size=x.shape) * 0.01
    lin = fit_ridge(x[:90], age[:90], alpha=0.01, kind="intensity_histogram", param=4)
    rbf = fit_ridge(x[:90], age[:90], alpha=0.01, kind="intensity_histogram", param=4, gamma=1.0)
    err = lambda m: np.mean(np.abs(m.predict(x[90:]) - age[90:]))  # noqa: E731
    assert rbf.gamma > 0 and rbf.support.shape == (90, 4) and err(rbf) < 0.7 * err(lin), (err(rbf), err(lin))
    out = tmp_path / "age.npz"
    save_weights(out, {"members": [rbf], "slope": 0.7, "offset": 14.0, "half_width": 9.0}, 5.0, 4.0)
    loaded = load_brain_age_model(str(out)).members[0]
    assert loaded.gamma == pytest.approx(rbf.gamma) and np.allclose(loaded.predict(x[90:]), rbf.predict(x[90:]),
                                                                      atol=1e-3)


def test_design_comparison_prefers_the_kernel_when_age_bends_the_histogram():
    """compare_designs on synthetic subjects whose histogram changes faster after 55 and whose blocks are noise:
    the Gaussian-kernel design scores best, every design is scored once per fold seed."""
    from nets.training.ridge_age import PARAMS
    from nets.training.train_brain_age import DESIGNS, compare_designs
    rng = np.random.default_rng(3)
    subjects = [f"sub-{i:02d}" for i in range(25)] + [f"IXI{i:03d}" for i in range(20)]  # both sources, as the folds expect
    ages = dict(zip(subjects, rng.uniform(20, 80, len(subjects))))
    feats = {}
    for p in PARAMS["intensity_histogram"]:
        feats[("intensity_histogram", p)] = {}
        for s in subjects:
            bend = np.where(ages[s] < 55, (ages[s] - 20) * 0.01, 0.35 + (ages[s] - 55) * 0.06)
            feats[("intensity_histogram", p)][s] = np.array([bend, bend ** 2, *rng.normal(size=2) * 0.02])
    for p in PARAMS["gm_blocks"]:
        feats[("gm_blocks", p)] = {s: rng.normal(size=6) for s in subjects}
    res = compare_designs(feats, ages, subjects, seeds=(1,))
    assert set(res) == set(DESIGNS) and all(len(v) == 1 for v in res.values())
    assert min(res, key=lambda k: res[k][0]) == "rbf_histogram", res


def test_bias_correction_undoes_regression_to_the_mean():
    age = np.linspace(20, 80, 30)
    pred = 0.6 * age + 20  # old brains read too young, young too old
    slope, offset = fit_bias_correction(pred, age)
    assert np.allclose(corrected(pred, age, slope, offset), age)
    assert np.allclose(corrected(pred + 5, age, slope, offset), age + 5)  # a real gap survives the correction


@pytest.mark.parametrize("bad", ["abc", "-3", "130", "nan"])
def test_bad_age_is_refused_with_a_message(bad):
    with pytest.raises(InvalidAgeError, match="age"):
        parse_age(bad)


def test_age_field_accepts_empty_and_numbers():
    assert parse_age(None) is None and parse_age("  ") is None
    assert parse_age("67") == 67.0 and parse_age("67,5") == 67.5


def test_gap_words_follow_the_validation_error():
    assert "about as old" in gap_meaning(3.0, 5.0)["en"] and "older" in gap_meaning(12.0, 5.0)["en"]
    assert "younger" in gap_meaning(-12.0, 5.0)["en"]


def _tiny_model(years_per_unit=10.0):
    from nets.inference.brain_age_features import feature_mask
    from nets.networks.ridge_age import RidgeAge
    n = int(feature_mask(4).sum())
    member = RidgeAge("gm_blocks", 4, 0.1, np.zeros(n, np.float32), np.ones(n, np.float32),
                      np.full(n, years_per_unit / n, np.float32), 40.0)
    return BrainAgeModel((member,), 0.5, 25.0, 8.0, 0.9, 5.0, 4.0, {"name": "t"})


def test_histogram_feature_ignores_background_and_the_mask_rim():
    """Skull-stripped zeros and the template mask's rim (IXI skull) do not move the histogram."""
    from nets.inference.brain_age_features import histogram_region, intensity_histogram
    from nets.transforms.brain_preprocessing import model_mask
    img = np.where(model_mask(), 0.6, 0.0).astype(np.float32)
    h = intensity_histogram(img, 20)
    assert h.sum() == pytest.approx(1.0) and h.argmax() == int((0.6 - 0.02) / (1.08 / 20))
    stripped = img.copy()
    stripped[model_mask() & ~histogram_region()] = 0.0  # zeros in the rim
    bright = img.copy()
    bright[model_mask() & ~histogram_region()] = 1.0  # skull-like rim
    assert np.allclose(intensity_histogram(stripped, 20), h) and np.allclose(intensity_histogram(bright, 20), h)
    holes = img.copy()
    holes[::3] = 0.0  # background zeros inside are left out, not counted as CSF
    assert np.allclose(intensity_histogram(holes, 20), h)


def test_model_averages_its_members():
    m = _tiny_model()
    img = np.zeros((80, 96, 80), np.float32)
    from dataclasses import replace
    two = replace(m, members=m.members + (replace(m.members[0], intercept=60.0),))
    assert two.years(img) == pytest.approx(50.0)


def test_result_carries_interval_and_gap():
    img = np.zeros((80, 96, 80), np.float32)
    r = brain_age_result(img, age=60, model=_tiny_model())
    # the model predicts 0.5 * 60 + 25 = 55 for healthy 60-year-olds: 40 is 15 years below that
    assert r["years"] == 40.0 and r["interval"] == [32.0, 48.0] and r["gap"] == -15.0
    assert "younger" in r["meaning"]["en"]
    assert "estimated brain age 40" in brain_age_sentence(r) and "gap -15" in brain_age_sentence(r)
    assert "gap" not in brain_age_result(img, model=_tiny_model())


def test_committed_brain_age_model_matches_its_card():
    """The card's validation predictions are what the committed weights give now, and they meet the card's MAE."""
    if not WEIGHTS.exists():
        pytest.skip("no brain-age model committed")
    need_shared("brain_t1_ixi")
    from nets.data.brain_subjects import load_subjects
    model = load_brain_age_model()
    card = model.card
    preds = card["metrics"]["validation"]["predictions"]
    few = sorted(preds)[::5]  # a handful of validation subjects: enough to catch stale weights or features
    assert len(few) >= 4
    brains = load_subjects(ROOT.parent / "shared" / "data", progress=False, only=few)
    for s in few:
        assert abs(model.years(brains[s]) - preds[s][1]) < 0.05, s
    v = card["metrics"]["validation"]["raw"]
    errors = [abs(p - a) for a, p in preds.values()]
    assert abs(np.mean(errors) - v["mae"]) < 0.01
    from nets.training.model_card import sha256_file
    assert json.loads(WEIGHTS.with_suffix(".card.json").read_text())["sha256"] == sha256_file(WEIGHTS)
