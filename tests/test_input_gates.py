"""The input gates in the service: the out-of-distribution corpus (built from installed packages into a temporary
folder), real in-distribution images from ../shared/data (skipped when absent), the override path (force) in the
predictor and the CLI, and the MRI gate on real T1 layouts and on volumes that are not T1 brains."""
import json
import random
import subprocess
import sys
from pathlib import Path

import matplotlib
import nibabel as nib
import numpy as np
import pytest

from nets.errors import NotABrainError, NotAT1BrainError, NotDermoscopyError, OutOfDistributionError
from nets.trust.gate_report import outcome, validation_files
from tests.conftest import ROOT, SHARED, need_file, need_shared

PORTRAIT = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
ITK_HEAD = "/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from nets.trust.ood_corpus import build_corpus
    out = tmp_path_factory.mktemp("ood_corpus")
    build_corpus(out)
    return out


@pytest.mark.parametrize("task", [None, "chest", "skin"])
def test_ood_corpus_test_part_is_refused_or_flagged(corpus, predictor, task):
    files = sorted((corpus / "test").glob("*"))
    assert len(files) >= 35
    res = {p.name: outcome(predictor, p.read_bytes(), task)[0] for p in files}
    answered = sorted(n for n, o in res.items() if o == "answered")
    assert 1 - len(answered) / len(res) >= 0.90, answered


def test_corpus_tiny_images_and_strips_are_refused_and_noise_never_answered_plainly(corpus, predictor):
    for p in sorted((corpus / "validation").glob("*")) + sorted((corpus / "test").glob("*")):
        kind = p.name.split("__")[0]
        if kind in ("tiny", "aspect"):
            assert outcome(predictor, p.read_bytes())[0].startswith("refused"), p.name
        elif kind == "noise":
            assert outcome(predictor, p.read_bytes())[0] != "answered", p.name


@pytest.mark.parametrize("task", ["chest", "skin"])
def test_real_validation_images_are_answered_and_routed_right(predictor, task):
    need_shared("chest_xray" if task == "chest" else "skin_lesions")
    files = validation_files(task, SHARED)
    random.Random(0).shuffle(files)
    res = [outcome(predictor, p.read_bytes()) for p in files[:120]]
    assert not [o for o, _ in res if o.startswith("refused")]
    assert sum(o == "flagged" for o, _ in res) <= 0.03 * len(res) + 1
    assert all(t == task for _, t in res)


def test_unseen_ham10000_photos_are_answered(predictor):
    """HAM10000 photos that neither training nor the threshold choice read (second half by lesion)."""
    from nets.trust.fit_image_gate import ham10000_halves
    need_shared("skin_ham10000", "labels.csv")
    files = ham10000_halves(SHARED)[1]
    random.Random(2).shuffle(files)
    res = [outcome(predictor, p.read_bytes()) for p in files[:80]]
    assert not [o for o, _ in res if o.startswith("refused")]
    assert sum(o == "flagged" for o, _ in res) <= 0.05 * len(res) + 1
    assert all(t == "skin" for _, t in res)


def grey_portrait(tmp_path) -> Path:
    import io
    from PIL import Image
    p = tmp_path / "portrait.png"
    Image.open(PORTRAIT).convert("L").save(p)
    return p


def test_a_portrait_is_refused_as_neither_and_can_be_forced(predictor, tmp_path):
    raw = grey_portrait(tmp_path).read_bytes()
    assert predictor.detect_image_task(raw) == "neither"
    with pytest.raises(OutOfDistributionError) as e:
        predictor.predict_bytes(raw, explain=False)
    assert "neither like a chest X-ray" in e.value.message and "It was not classified" in e.value.message
    with pytest.raises(NotDermoscopyError) as e:
        predictor.predict_bytes(raw, task="skin", explain=False)
    assert "dermoscopy photo" in e.value.message and e.value.to_dict()["can_force"]
    j = predictor.predict_bytes(raw, task="chest", force=True).to_json()
    assert j["forced"] and j["input_gate"]["level"] == "refuse"
    assert any("force" in w for w in j["warnings"]) and j["images"]["merged"]


def test_a_colour_portrait_is_never_answered_without_a_warning(predictor):
    res = outcome(predictor, PORTRAIT.read_bytes())
    assert res[0] != "answered", res


def test_answers_carry_calibration_uncertainty_and_scope(predictor):
    j = predictor.predict_file(ROOT / "readme_static" / "test" / "chest_RG1_UNCR.png", explain=False).to_json()
    assert j["temperature"] != 1.0 and abs(sum(j["probabilities"].values()) - 1) < 1e-4
    assert isinstance(j["uncertain"], bool) and j["runner_up"] in j["classes"] and j["runner_up"] != j["prediction"]
    assert j["scope"]["en"] and j["scope"]["zh"] and j["headline"]["en"]
    assert j["top_label_calibrated"] is False  # the chest model keeps its temperature alone


def test_skin_answers_show_the_cards_calibration(predictor, monkeypatch):
    """A card with a top-label map changes the shown probabilities (not the answer) and says so in the JSON; without
    one the probabilities are softmax(logits / T)."""
    from nets.trust.temperature_scaling import calibrated
    from nets.trust.top_label_calibration import apply_top_label
    path = ROOT / "readme_static" / "test" / "skin_synthetic_lesion.jpg"
    res = predictor.predict_file(path, explain=False, force=True)
    cal = dict(res.model.card["calibration"])
    plain = {**cal, "top_label": None}
    monkeypatch.setitem(res.model.card, "calibration", plain)
    j = predictor.predict_file(path, explain=False, force=True).to_json()
    t = cal["temperature"]
    assert j["top_label_calibrated"] is False
    assert np.allclose([j["probabilities"][c] for c in j["classes"]], calibrated(res.logits, t), atol=1e-4)
    knots = {"x": [0.0, 1.0], "y": [0.0, 0.5]}  # a map that halves the answered class's probability
    monkeypatch.setitem(res.model.card, "calibration", {**cal, "top_label": knots})
    k = predictor.predict_file(path, explain=False, force=True).to_json()
    assert k["top_label_calibrated"] is True and k["prediction"] == j["prediction"]
    expected = apply_top_label(calibrated(res.logits, t), knots)
    assert np.allclose([k["probabilities"][c] for c in k["classes"]], expected, atol=1e-4)
    assert k["probabilities"][k["prediction"]] < j["probabilities"][j["prediction"]] - 0.1


def test_cli_refuses_with_json_and_force_answers(tmp_path):
    cmd = [sys.executable, "-m", "nets.predict", str(grey_portrait(tmp_path)), "--task", "skin", "--no-explain",
           "--out", str(tmp_path)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0 and r.stdout == ""
    err = json.loads(r.stderr.strip().splitlines()[-1])
    assert err["error"] == "not_dermoscopy" and err["can_force"] is True
    r = subprocess.run(cmd + ["--force"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["forced"] and any("force" in w for w in j["warnings"])


# -- MRI --------------------------------------------------------------------------------------------------------
def _save(img, tmp_path, name):
    p = tmp_path / name
    nib.save(img, str(p))
    return p


def test_mri_gate_refuses_inverted_contrast_and_blobs(predictor, demo_path, tmp_path):
    from nets.trust.brain_ood_volumes import inverted_contrast, smooth_blobs
    inv = _save(inverted_contrast(nib.load(str(demo_path))), tmp_path, "inverted.nii.gz")
    with pytest.raises(NotAT1BrainError) as e:
        predictor.predict_file(inv, explain=False)
    assert "T1-weighted" in e.value.message
    j = predictor.predict_file(inv, explain=False, force=True).to_json()
    assert j["forced"] and any("force" in w for w in j["warnings"])
    for seed in range(3):
        blobs = _save(smooth_blobs(seed=seed, sigma_vox=2.0 + seed), tmp_path, f"blobs{seed}.nii.gz")
        with pytest.raises((NotAT1BrainError, NotABrainError)):
            predictor.predict_file(blobs, explain=False)


def test_mri_gate_accepts_the_projects_own_t1_layouts(predictor, demo_path):
    files = [demo_path, ROOT / "readme_static/test/colin27_2mm.nii.gz",
             ROOT / "readme_static/test/colin27_2mm_flipped.nii.gz"]
    for p in files:
        j = predictor.predict_file(p, explain=False).to_json()
        assert j["input_gate"]["level"] == "ok", (p.name, j["input_gate"])


def test_mri_gate_accepts_the_itk_head(predictor):
    j = predictor.predict_file(need_file(ITK_HEAD), explain=False).to_json()
    assert j["input_gate"]["level"] != "refuse"


@pytest.mark.parametrize("folder,pattern,n", [("brain_t1", "sub-*_T1w.nii.gz", 4), ("brain_t1_ixi", "IXI*_T1w.nii.gz", 6)])
def test_mri_gate_accepts_real_t1_scans(folder, pattern, n):
    """Real scans through the whole preprocessing and the gate (IXI's header extension is refused by the project's
    reader at the time of writing: the gate is then judged on nibabel's reading of the same file)."""
    from nets.registry import REGISTRY
    from nets.transforms.brain_preprocessing import BrainPreprocessor
    from nets.trust.fit_brain_gate import _accepted, _contrast_of_file
    from nets.trust.gate_service import brain_gate
    gate = brain_gate(REGISTRY.get(task="mri"))
    assert gate is not None
    files = sorted(need_shared(folder).glob(pattern))
    random.Random(0).shuffle(files)
    prep = BrainPreprocessor()
    for p in files[:n]:
        c = _contrast_of_file(prep, p)
        assert _accepted(gate, c) == "ok", (p.name, c)


def test_a_colour_portrait_is_not_answered_as_a_skin_lesion(predictor):
    """The colour portrait: before 2026-12-02 the skin limit (twice the largest validation score, lifted by one odd
    photo to 25,252) let it through as a flagged melanoma-or-other answer; now it is refused, even sent to skin."""
    raw = need_file(PORTRAIT).read_bytes()
    for task in (None, "skin"):
        assert outcome(predictor, raw, task)[0].startswith("refused"), task
