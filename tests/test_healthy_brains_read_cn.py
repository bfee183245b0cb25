"""The committed MRI stage model, as served (decision prior and temperature included), never calls one of the
project's own unmodified validation brains (healthy adults 20-82, ds002748 and IXI) a disease stage with high
confidence (at most one of the 22), at any age."""
import numpy as np
import pytest

from nets.registry import REGISTRY
from tests.conftest import ROOT, need_shared

# P(CN) below this (as shown to the user: at least 0.8 on the impaired stages together) is a confident wrong
# answer for a healthy brain; the model committed before IXI gave 5 of these 22 brains 0.00-0.15
CONFIDENT_NOT_CN = 0.2


def test_unmodified_validation_brains_are_not_called_impaired_with_confidence():
    m = REGISTRY.get(task="mri")
    if not m.trained:
        pytest.skip("MRI model not trained yet")
    need_shared("brain_t1_ixi")
    import torch
    from nets.data.brain_subjects import is_real_subject, load_subjects
    from nets.trust.gate_service import calibrated_probabilities
    val = [s for s in m.card["split"]["val_subjects"] if is_real_subject(s)]
    assert any(s.startswith("IXI") for s in val), "the validation subjects include no IXI (55+) brains"
    brains = load_subjects(ROOT.parent / "shared" / "data", progress=False, only=val)
    with torch.no_grad():
        logits = m.module(torch.from_numpy(np.stack([brains[s] for s in val]))[:, None]).numpy()
    probs = np.stack([calibrated_probabilities(m, z) for z in logits])
    confident_wrong = {s: p.round(2).tolist() for s, p in zip(val, probs) if p[0] < CONFIDENT_NOT_CN}
    # the committed model still gives one brain (IXI072, aged 69: P(CN) 0.08, "uncertain between MCI and LMCI")
    # such an answer; the previous model gave five. More than one is a regression.
    assert len(confident_wrong) <= 1, confident_wrong
    assert np.mean(probs.argmax(1) == 0) >= 0.9, probs.round(2)


def test_served_age_reference_matches_its_card_and_helps_older_brains():
    """With the stated age (the card's `age_reference`, design C), the served decisions on the unmodified validation
    brains are the card's CN rates by age band, and no brain over the hinge gets a lower P(CN) than without it."""
    m = REGISTRY.get(task="mri")
    if not m.trained or not m.card.get("age_reference"):
        pytest.skip("MRI model without an age reference")
    need_shared("brain_t1_ixi")
    import torch
    from nets.data.brain_subjects import is_real_subject, load_subjects
    from nets.data.subject_ages import subject_ages
    from nets.evaluation.cn_operating_point import by_band
    from nets.networks.age_reference import stage_age_offsets
    from nets.trust.gate_service import calibrated_probabilities
    data = ROOT.parent / "shared" / "data"
    val = [s for s in m.card["split"]["val_subjects"] if is_real_subject(s)]
    ages, brains = subject_ages(data), load_subjects(data, progress=False, only=val)
    with torch.no_grad():
        logits = m.module(torch.from_numpy(np.stack([brains[s] for s in val]))[:, None]).double().numpy()
    k = logits.shape[1]
    aged = np.stack([z + stage_age_offsets(m.card, ages[s], k)[0] for s, z in zip(val, logits)])
    age = np.array([ages[s] for s in val])
    c = m.card["design_comparison"]["C_age"]
    assert by_band(aged.argmax(1) == 0, age) == c["real_called_cn_by_age_band"]
    p_with = np.stack([calibrated_probabilities(m, z) for z in aged])[:, 0]
    p_without = np.stack([calibrated_probabilities(m, z) for z in logits])[:, 0]
    old = age > m.card["age_reference"]["hinge_years"] + 5
    assert old.any() and np.all(p_with[old] >= p_without[old] - 1e-6), (p_with[old], p_without[old])
