"""Committed weights match their cards; cards carry what a reader needs; the MRI model behaves on real brains."""
import json

import numpy as np
import pytest

from nets.model_configs import CONFIGS
from nets.registry import REGISTRY, sha256_file
from tests.conftest import ROOT, need_shared

COMMITTED = [c for c in CONFIGS.values() if c.weights.startswith("data/model_save/")]


@pytest.mark.parametrize("cfg", COMMITTED, ids=[c.name for c in COMMITTED])
def test_card_matches_weights(cfg):
    w = ROOT / cfg.weights
    if not w.exists():
        pytest.skip(f"{cfg.name} not trained yet")
    card = json.loads(w.with_name(w.stem + ".card.json").read_text())
    assert card["sha256"] == sha256_file(w)
    assert card["classes"] == list(cfg.classes)
    for key in ("architecture", "input", "training_data", "licence", "metrics", "date", "split"):
        assert card.get(key), key
    assert w.stat().st_size < 30 * 2**20
    assert "normalisation" in card["input"]


def test_mri_model_on_unmodified_and_atrophied_real_brains():
    m = REGISTRY.get(task="mri")
    if not m.trained:
        pytest.skip("MRI model not trained yet")
    need_shared("brain_t1")
    import torch
    from nets.data.brain_subjects import load_subjects
    from nets.simulation.atrophy import simulate, structure_masks
    from nets.transforms.templates import get_templates
    brains = load_subjects(ROOT.parent / "shared" / "data", progress=False)
    val = m.card["split"]["val_subjects"]
    vent, mtl = structure_masks()
    mask = get_templates().brain_mask
    rng = np.random.default_rng(7)
    cn, rises = [], []
    for s in val:
        x0 = torch.from_numpy(brains[s])[None, None]
        with torch.no_grad():
            p0 = torch.softmax(m.module(x0), 1)[0].numpy()
            sim = simulate(brains[s], mask, 4, rng, vent, mtl, augment=False)
            p4 = torch.softmax(m.module(torch.from_numpy(sim.image)[None, None]), 1)[0].numpy()
        cn.append(p0.argmax() == 0)
        rises.append(p4 @ np.arange(5) > p0 @ np.arange(5))
    assert np.mean(cn) >= 0.5, cn
    assert np.mean(rises) >= 0.8, rises
