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
