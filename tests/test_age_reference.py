"""Design C of the MRI stage decision (nets/networks/age_reference.py, nets/evaluation/cn_operating_point.py): the
age trend is recovered, applied only with a stated age, and moves an older healthy brain towards CN."""
import numpy as np

from nets.evaluation.cn_operating_point import design_age, with_age
from nets.networks.age_reference import AgeReference, cn_log_odds, cn_prior_offsets, fit_age_trend, stage_age_offsets
from nets.report.age_text import age_reference_sentence, unstated_age_warning

CARD = {"age_reference": {"hinge_years": 50, "per_year": 0.1, "cn_prior_with_age": 0.25, "cn_prior_baked": 0.36}}


def test_fit_age_trend_recovers_hinge_and_slope():
    ages = np.linspace(20, 80, 61)
    y = 1.0 - 0.12 * np.maximum(0, ages - 50) + np.random.default_rng(0).normal(0, 0.05, ages.size)
    hinge, per_year, _ = fit_age_trend(ages, y)
    assert hinge == 50 and abs(per_year - 0.12) < 0.01


def test_cn_log_odds_and_prior_offsets_agree_with_the_prior_shift_of_the_weights():
    from nets.networks.prior_shift import logit_offsets, parse_prior
    z = np.array([[2.0, 0.0, 0.0, 0.0, 0.0]])
    assert np.isclose(cn_log_odds(z)[0], 2.0 - np.log(4))
    classes = ["CN", "EMCI", "MCI", "LMCI", "AD"]
    assert np.allclose(cn_prior_offsets(0.36, 5), logit_offsets(classes, parse_prior("CN=0.36", classes)))


def test_offsets_only_with_an_age_and_only_above_the_hinge():
    ref = AgeReference.from_card(CARD)
    assert stage_age_offsets(CARD, None, 5) == (None, None)
    assert stage_age_offsets({}, 70, 5) == (None, None)
    young, _ = stage_age_offsets(CARD, 30, 5)
    old, info = stage_age_offsets(CARD, 70, 5)
    prior_only = cn_prior_offsets(0.25, 5) - cn_prior_offsets(0.36, 5)
    assert np.allclose(young, prior_only)  # below the hinge: only the prior changes
    assert np.isclose(old[0] - young[0], 0.1 * 20) and np.allclose(old[1:], young[1:])
    assert info["cn_log_odds_added"] == 2.0 and info["age"] == 70 and ref.cn_added(40) == 0
    words = age_reference_sentence(info)
    assert "age 70" in words["en"] and "2.0" in words["en"] and "70 岁" in words["zh"]
    assert "no age correction" in age_reference_sentence(stage_age_offsets(CARD, 30, 5)[1])["en"]
    capped = AgeReference(50, 0.1, 0.25, 0.36, max_age_years=80)
    assert np.isclose(capped.cn_added(95), 3.0) and capped.cn_added(95) == capped.cn_added(80)  # no extrapolation


def test_unstated_age_warning_only_for_older_looking_non_cn_brains():
    older = {"years": 66.0}
    assert "66" in unstated_age_warning(CARD, None, older, top=2)
    assert unstated_age_warning(CARD, 66, older, top=2) is None  # age given
    assert unstated_age_warning(CARD, None, older, top=0) is None  # answered CN
    assert unstated_age_warning(CARD, None, {"years": 40.0}, top=2) is None  # looks young
    assert unstated_age_warning({}, None, older, top=2) is None  # model without an age reference


def test_design_age_calls_older_healthy_brains_cn_and_keeps_severe_atrophy():
    """Synthetic logits: healthy CN evidence falls by 0.1 per year after 50 (as in training), simulated level 4 is
    far below. Design C recovers the trend from the training brains and calls the old validation brains CN."""
    rng = np.random.default_rng(1)

    def healthy(ages):
        z = np.zeros((len(ages), 5))
        z[:, 0] = 1.5 - 0.1 * np.maximum(0, ages - 50) + rng.normal(0, 0.1, len(ages))
        return z

    train_age, age = rng.uniform(20, 80, 60), np.linspace(22, 78, 20)
    real = healthy(age)
    sim = np.concatenate([healthy(age), np.tile([-6.0, 0, 0, 0, 3.0], (20, 1))])
    levels, sim_age = np.r_[np.zeros(20, int), np.full(20, 4)], np.r_[age, age]
    c = design_age(real, sim, levels, age, sim_age, healthy(train_age), train_age)
    assert c["hinge_years"] == 50 and abs(c["per_year"] - 0.1) < 0.02
    assert c["real_called_cn_by_age_band"]["55+"] == 1.0 and c["most_severe_called_lmci_or_ad"] == 1.0
    assert c["cross_fitted_real_called_cn"] >= 0.9
    assert c["training_cn_log_odds_by_age_band"]["20-40"]["median"] > c["training_cn_log_odds_by_age_band"]["55+"]["median"]
    aged = with_age(real, age, AgeReference(50, 0.1, 0.3, 0.3))
    assert np.allclose(aged[:, 1:], real[:, 1:]) and np.allclose(aged[:, 0] - real[:, 0], 0.1 * np.maximum(0, age - 50))


def test_write_to_card_records_design_c_under_the_baked_prior(tmp_path):
    import json
    from nets.evaluation.cn_operating_point import write_to_card
    weights = tmp_path / "stage.pt"
    weights.write_bytes(b"")
    weights.with_suffix(".card.json").write_text(json.dumps({"decision_prior": {"prior": {"CN": 0.36}}}))
    band = {"20-40": 1.0, "40-55": 1.0, "55+": 0.5}
    summary = {"real_called_cn_by_age_band": band, "cross_fitted_real_called_cn_by_age_band": band,
               "most_severe_called_lmci_or_ad": 0.6, "simulated_called_cn_by_level": [1, 0.5, 0.3, 0.2, 0.1]}
    res = {"subjects": ["a", "b"], "A_prior": summary,
           "C_age": {**summary, "hinge_years": 60.0, "per_year": 0.2, "cn_prior_with_age": 0.36,
                     "n_training_brains": 75, "max_age_years": 82.0}}
    write_to_card(weights, res, 2)
    card = json.loads(weights.with_suffix(".card.json").read_text())
    ref = AgeReference.from_card(card)
    assert ref == AgeReference(60.0, 0.2, 0.36, 0.36, 82.0) and card["design_comparison"]["subjects"] == ["a", "b"]
    assert "--reps 2" in card["age_reference"]["command"] and "2 validation subjects" in card["age_reference"]["why"]
