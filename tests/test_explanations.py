"""Explanations behind one interface: every method returns an Attribution of the input's shape; LRP conserves
relevance through residual sums; occlusion and the deletion check find the region a toy model reads; the sanity
check flags a map that ignores the model; the colour scale says red = for, blue = against."""
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from nets.interpret.attribution import Attribution, build_explainer
from nets.model_configs import InputContract
from nets.interpret.faithfulness import deletion_insertion
from nets.interpret.lrp import LRPExplainer
from nets.interpret.occlusion import ImageOcclusion
from nets.interpret.sanity import cascading_randomisation
from nets.networks import SmallResNet2D


def tiny_resnet(seed=0, blocks=(1, 1, 2, 1)):
    torch.manual_seed(seed)
    m = SmallResNet2D(in_channels=1, num_classes=2, widths=(4, 8, 8, 8), blocks=blocks).eval()
    for p in m.parameters():
        p.requires_grad_(False)
    return m


class RegionModel(torch.nn.Module):
    """Logit of class 1 = 6 x mean of the top-left 8x8 corner; class 0 = 0."""

    def forward(self, x):
        r = 6 * x[:, 0, :8, :8].mean((1, 2))
        return torch.stack([torch.zeros_like(r), r], 1)


@pytest.mark.parametrize("method,signed", [("lrp", True), ("grad-cam", False), ("occlusion", True)])
def test_every_method_returns_an_attribution_of_the_input_shape(method, signed):
    model = tiny_resnet()
    contract = InputContract(kind="image", normalisation="none", mode="L", size=32)
    loaded = SimpleNamespace(module=model, config=SimpleNamespace(
        name="tiny", task="chest", explainers=("grad-cam", "lrp", "occlusion"), input=contract,
        explainer_layers={"grad-cam": "features"}))
    a = build_explainer(method, loaded).explain(torch.randn(1, 1, 32, 32), 1)
    assert isinstance(a, Attribution) and a.map.shape == (32, 32) and a.method == method and a.signed == signed
    assert a.target == 1 and np.isfinite(a.map).all() and np.abs(a.map).sum() > 0
    with pytest.raises(ValueError):
        build_explainer("lrp", SimpleNamespace(module=model, config=SimpleNamespace(
            name="tiny", task="chest", explainers=("grad-cam",), input=contract, explainer_layers={})))


def test_lrp_conserves_relevance_through_residual_sums():
    """Without biases and with the epsilon rule, LRP's relevance sums to the logit. Without the canonizer each
    branch of a residual sum would get the whole relevance (it doubles per block, 2**5 = 32x here); the StackSum canonizer splits it."""
    model = tiny_resnet(blocks=(1, 1, 2, 1))
    model.head.bias.zero_()
    x = torch.rand(1, 1, 32, 32)
    rel, logits, ratio = LRPExplainer(model, rule="epsilon", epsilon=1e-9).explain(x, 1)
    assert rel.shape == x.shape
    assert abs(ratio - 1) < 0.05, ratio


def test_image_occlusion_finds_the_region_the_model_reads():
    x = torch.zeros(1, 1, 32, 32)
    x[0, 0, :8, :8] = 1.0
    a = ImageOcclusion(RegionModel(), window=8, stride=4).explain(x, 1)
    assert a.map[:8, :8].min() > 0 and a.map[:8, :8].max() == a.map.max()
    assert np.all(a.map[16:, 16:] == 0)  # hiding pixels the model ignores changes nothing


def test_deletion_is_faster_than_random_for_the_right_map_and_slower_for_the_inverted_one():
    x = torch.zeros(1, 1, 32, 32)
    x[0, 0, :8, :8] = 1.0
    good = np.zeros((32, 32), np.float32)
    good[:8, :8] = 1.0
    f = deletion_insertion(RegionModel(), x, torch.zeros_like(x), good, 1, patch=4)
    assert f["deletion_auc"] < f["random_deletion_auc"] and f["insertion_auc"] > f["deletion_auc"]
    assert f["p_deleted_10pct"] < f["p_original"] and f["forwards"] == 20
    bad = deletion_insertion(RegionModel(), x, torch.zeros_like(x), -good, 1, patch=4)
    assert bad["deletion_auc"] > bad["random_deletion_auc"]
    assert (f["verdict"], bad["verdict"]) == ("better", "not_better")


def test_deletion_check_is_inconclusive_when_hiding_everything_keeps_the_class():
    """A baseline the model still reads as the class (like a blurred film read as pneumonia): flat curves, so
    which order is lower is chance and the verdict says so instead of 'better' or 'not better'."""
    x = torch.zeros(1, 1, 32, 32)
    x[0, 0, :8, :8] = 1.0
    good = np.zeros((32, 32), np.float32)
    good[:8, :8] = 1.0
    still_the_class = x * 0.9  # P(class 1) barely moves when everything is replaced by this
    f = deletion_insertion(RegionModel(), x, still_the_class, good, 1, patch=4)
    assert f["p_original"] - f["p_baseline"] < 0.1 and f["verdict"] == "inconclusive"


def test_blurred_baseline_keeps_the_mean_and_removes_the_detail():
    """The 2D deletion baseline: a sharp square is smeared (no new edges), its mass kept; 'mean' is the zero image."""
    from nets.interpret.faithfulness import image_baseline
    x = torch.zeros(1, 1, 56, 56)
    x[0, 0, 25:31, 25:31] = 1.0  # 6 px, three times the blur's sigma (56 / 28 = 2 px)
    b = image_baseline(x)
    assert b.shape == x.shape and abs(float(b.sum() - x.sum())) < 0.05 * float(x.sum())
    assert float(b.max()) < 0.95 and float(b[0, 0, 23, 28]) > 0.05  # the edge is smeared outwards
    assert torch.equal(image_baseline(x, "mean"), torch.zeros_like(x))
    with pytest.raises(ValueError):
        image_baseline(x, "noise")


def test_sanity_check_flags_a_map_that_ignores_the_model_and_passes_the_gradient():
    model = tiny_resnet()
    inputs = [(torch.rand(1, 1, 32, 32), 1) for _ in range(2)]
    edges = cascading_randomisation(model, inputs, lambda m, x, t: np.abs(np.diff(x[0, 0].numpy(), axis=0)))
    assert edges["flag"] and edges["spearman_fully_randomised"] > 0.99
    assert [s["randomised_down_to"] for s in edges["steps"]][:2] == ["head", "features.4"]

    def gradient(m, x, t):
        x = x.clone().requires_grad_(True)
        with torch.enable_grad():
            m(x)[0, t].backward()
        return x.grad[0, 0].numpy()
    out = cascading_randomisation(model, inputs, gradient)
    assert not out["flag"] and out["spearman_fully_randomised"] < 0.5, out


def test_colour_scale_red_for_blue_against_and_a_worded_bar():
    from nets.render.colour_scale import bar_has_words, colour_bar, colourise
    rgb = colourise(np.array([[1.0, -1.0, 0.0]]), True, 1.0)[0]
    assert rgb[0, 0] > rgb[0, 2] and rgb[1, 2] > rgb[1, 0] and rgb[2].min() > 0.9  # red, blue, white
    en = np.asarray(colour_bar(260, True, 0.5, "CN", "en"))
    assert en.shape == (260, 150, 3)
    if bar_has_words("zh"):
        assert not np.array_equal(en, np.asarray(colour_bar(260, True, 0.5, "CN", "zh")))
    seq = colourise(np.array([[0.0, 1.0]]), False, 1.0)[0]
    assert not np.allclose(seq[0], seq[1])


def test_predictor_lists_every_method_with_its_faithfulness_and_caches_it(tmp_path):
    from nets.errors import InputError
    from nets.predictor import Predictor
    from tests.conftest import ROOT
    pred = Predictor(imgs_root=tmp_path)
    r = pred.predict_file(ROOT / "readme_static" / "test" / "chest_RG1_UNCR.png", task="chest")
    first = r.to_json()["explanations"]
    assert [e["method"] for e in first] == ["grad-cam"] and first[0]["target"] == r.to_json()["prediction"]
    for method in ("lrp", "occlusion"):
        e = pred.explain(r, method)
        assert pred.explain(r, method) is e  # computed once per result
        assert set(e["faithfulness"]) >= {"deletion_auc", "insertion_auc", "random_deletion_auc"}
        assert all(Path(p).is_file() for k in ("raw", "heatmap", "merged") for p in e["images"][k])
    j = r.to_json()
    assert [e["method"] for e in j["explanations"]] == ["grad-cam", "lrp", "occlusion"]
    json.dumps(j)  # JSON-safe
    other = pred.explain_class(r, "NORMAL")
    assert [(e["method"], e["target"]) for e in other.to_json()["explanations"]] == [("grad-cam", "NORMAL")]
    with pytest.raises(InputError):
        pred.explain(r, "integrated-gradients")


@pytest.mark.parametrize("name", ["brain-atrophy-3dcnn", "chest-xray-resnet", "skin-isic-resnet"])
def test_cards_record_the_sanity_check_and_the_faithfulness_rate_of_every_method(name):
    from nets.model_configs import CONFIGS
    from tests.conftest import ROOT
    cfg = CONFIGS[name]
    card = json.loads((ROOT / cfg.weights).with_name(Path(cfg.weights).stem + ".card.json").read_text())
    sanity = card["sanity_check"]
    assert cfg.explainers[0] in sanity["methods"] and set(sanity["methods"]) <= set(cfg.explainers)
    assert sanity["command"].startswith("python -m nets.sanity_check")
    for s in sanity["methods"].values():
        assert s["flag"] == (s["spearman_fully_randomised"] > sanity["flag_above"])
    faith = card["explanation_checks"]["faithfulness"]
    assert faith["shown_first"] == cfg.explainers[0] and faith["n"] >= 10
    for m in {cfg.explainers[0], "lrp"}:
        assert 0 <= faith["methods"][m]["deletion_below_random_rate"] <= 1


def test_lesion_mask_finds_a_dark_disc_and_skips_a_faint_one():
    from nets.trust.lesion_regions import lesion_mask
    yy, xx = np.mgrid[:144, :144]
    disc = np.hypot(yy - 72, xx - 70) < 30
    img = np.full((144, 144, 3), 200, np.uint8)
    img[disc] = 90
    m = lesion_mask(img)
    assert m is not None and (m & disc).sum() / (m | disc).sum() > 0.9
    img[disc] = 192  # 8 grey levels darker: too faint to outline
    assert lesion_mask(img) is None


def test_lesion_mask_does_not_take_a_dark_blob_off_the_centre_for_the_lesion():
    """A dark patch near the edge (a frame's corner, hair, the vignette) is not the photographed lesion: before, with
    nothing dark at the centre, the largest dark component was taken and the edge check kept it unpainted."""
    from nets.trust.lesion_regions import lesion_mask
    yy, xx = np.mgrid[:144, :144]
    img = np.full((144, 144, 3), 200, np.uint8)
    img[np.hypot(yy - 22, xx - 72) < 12] = 60  # 0.26-0.43 of the height above the middle
    assert lesion_mask(img) is None
    img[np.hypot(yy - 72, xx - 72) < 20] = 90  # a lesion at the centre is found, the blob left out
    m = lesion_mask(img)
    assert m is not None and m[72, 72] and not m[22, 72]


def test_slice_aspect_is_what_the_drawn_slice_has():
    """The page sizes a slice from SliceRenderer.aspect without drawing it: it must match every plane's image."""
    from nets.render.slice_renderer import SliceRenderer
    v = np.random.default_rng(0).random((40, 48, 36)).astype(np.float32)
    view = SliceRenderer(v, v)
    for plane in ("axial", "coronal", "sagittal"):
        im = view.raw(plane, 5)
        assert view.aspect(plane) == pytest.approx(im.height / im.width)


def test_warm_up_runs_the_mri_explainer_once_on_the_model_input_shape(tmp_path, monkeypatch):
    """The server's start-up pays oneDNN's first 3D convolutions (the first request after
    start took 1.33 s instead of 1.06 s); a failure there is reported, never raised."""
    from nets.predictor import Predictor
    p = Predictor(imgs_root=tmp_path)
    m = p.registry.get(task="mri")
    if not m.trained:
        pytest.skip("no trained MRI model")
    seen = []
    monkeypatch.setattr(m.explainer(), "explain", lambda x, target: seen.append((tuple(x.shape), target)))
    p._warm_kernels()
    assert seen == [(tuple(m.config.input.shape), 0)]
    monkeypatch.setattr(m.explainer(), "explain", lambda x, target: 1 / 0)
    p._warm_kernels()  # reported on stderr; start-up goes on


def test_known_end_probabilities_are_not_sent_through_the_network_again():
    """The answer's own forward pass gives P(original) and the MRI reference brain's P is cached: the check then
    runs 18 forwards instead of 20, with the same curves."""
    from nets.interpret.faithfulness import deletion_insertion
    model = tiny_resnet()
    torch.manual_seed(3)
    x, base = torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32) * 0.1
    amap = np.random.default_rng(0).random((32, 32))
    full = deletion_insertion(model, x, base, amap, 1)
    with torch.no_grad():
        p = torch.softmax(model(torch.cat([x, base])), 1)[:, 1]
    for known in ({"original": float(p[0])}, {"baseline": float(p[1])},
                  {"original": float(p[0]), "baseline": float(p[1])}):
        part = deletion_insertion(model, x, base, amap, 1, known=known)
        assert part["forwards"] == full["forwards"] - len(known)
        for curve in ("deletion", "insertion", "random_deletion"):
            assert np.allclose(part[curve], full[curve], atol=1e-4), curve



def demo_answer_aged_80(tmp_path):
    """(predictor, demo.nii's answer with a stated age of 80, so the age term is in its logits); skips without them."""
    from nets.predictor import Predictor
    demo = Path("nii/demo.nii")
    if not demo.exists():
        pytest.skip("nii/demo.nii not built (python -m nets.demo_volume)")
    p = Predictor(imgs_root=tmp_path)
    r = p.predict_file(demo, age=80)
    if r.handles.logit_offsets is None or not r.model.trained:
        pytest.skip("the MRI model has no age reference")
    return p, r

def test_mri_check_scores_the_answers_own_probabilities_when_an_age_is_stated(tmp_path):
    """With an age the answer's CN logit carries the age term; the deletion check must score that same model: its
    curve starts at the answer's P(class), ends at the reference brain's P under the same term, and every step in
    between is the network plus the term (before, the steps were the bare network's)."""
    from nets.interpret.faithfulness import deletion_insertion
    from nets.networks.prior_shift import OffsetLogits
    p, r = demo_answer_aged_80(tmp_path)
    offsets, m = r.handles.logit_offsets, r.model
    assert np.abs(offsets).max() > 1  # 20 years above the hinge: a term large enough to tell the two models apart
    probs = torch.softmax(torch.as_tensor(r.logits), 0)
    t = r.target
    f = r.handles.explanations[("lrp", t)]["faithfulness"]
    assert f["p_original"] == pytest.approx(float(probs[t]), abs=1e-4)
    ref = torch.from_numpy(p._reference_brain(None)[1])[None, None]
    with torch.no_grad():
        ref_p = torch.softmax(m.module(ref)[0] + torch.as_tensor(offsets), 0)[t]
    assert f["p_baseline"] == pytest.approx(float(ref_p), abs=1e-4)
    a = r.handles.attributions[("lrp", t)]
    x, mask = r.handles.model_input.x, r.handles.model_input.brain_mask
    with_term = deletion_insertion(OffsetLogits(m.module, offsets), x, ref, a.map, t, region=mask > 0)
    bare = deletion_insertion(m.module, x, ref, a.map, t, region=mask > 0)
    assert np.allclose(f["deletion"], with_term["deletion"], atol=1e-3)
    assert not np.allclose(f["deletion"][1:-1], bare["deletion"][1:-1], atol=1e-3)



def test_mri_occlusion_measures_the_answers_own_log_odds_when_an_age_is_stated(tmp_path):
    """Occlusion explains the answer the page shows: with a stated age its base log-odds is the answer's own (the
    network plus the age term), not the bare network's (before 2026-12-02 it was the bare network's)."""
    p, r = demo_answer_aged_80(tmp_path)
    answer_p = float(torch.softmax(torch.as_tensor(r.logits), 0)[0])
    with torch.no_grad():
        bare_p = float(torch.softmax(r.model.module(r.handles.model_input.x)[0], 0)[0])
    occ = p.occlusion(r, "CN")
    assert occ["log_odds"] == pytest.approx(np.log(answer_p / (1 - answer_p)), abs=0.01)
    assert abs(occ["log_odds"] - np.log(bare_p / (1 - bare_p))) > 0.5


def test_a_map_within_the_spread_of_random_orders_is_not_called_better():
    """0.645 against 0.66 is within what two random orders differ by: the page must not show it as a pass."""
    from nets.interpret.faithfulness import MIN_AUC_GAP, verdict
    from nets.report.faithfulness_text import faithfulness_sentence
    assert verdict(0.9, 0.2, 0.645, 0.66) == "no_clear_difference"
    assert verdict(0.9, 0.2, 0.64, 0.64 + MIN_AUC_GAP) == "better"
    assert verdict(0.9, 0.2, 0.66 + MIN_AUC_GAP, 0.66) == "not_better"
    assert verdict(0.9, 0.85, 0.2, 0.6) == "inconclusive"
    f = {"verdict": "no_clear_difference", "p_original": 0.35, "p_baseline": 0.1, "p_deleted_10pct": 0.33,
         "p_random_10pct": 0.33, "deletion_auc": 0.26, "random_deletion_auc": 0.27}
    for lang, word in (("en", "about as good as random"), ("zh", "与随机顺序效果相近")):
        kind, text = faithfulness_sentence(f, "MEL", False, lang)
        assert kind == "no_clear_difference" and word in text
