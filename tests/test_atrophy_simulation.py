"""The atrophy simulation on the two template brains that ship with installed packages (no ../shared needed):
severity is ordered, the change is where it should be, and the ground-truth mask says where tissue changed."""
import numpy as np
import pytest

from nets.simulation.atrophy import simulate
from nets.simulation.structures import medial_temporal_mask, ventricle_mask
from nets.transforms.brain_preprocessing import model_mask


@pytest.fixture(scope="module")
def template_brains(tmp_path_factory):
    from nets.data.brain_subjects import load_subjects
    brains = load_subjects(tmp_path_factory.mktemp("no_shared"), progress=False)
    if "colin27" not in brains:
        pytest.skip("Debian mricron-data (Colin27) not installed")
    return brains


@pytest.mark.parametrize("mechanism", ["push", "replace", "radial"])
def test_ventricles_grow_and_medial_temporal_lobe_changes_with_severity(template_brains, mechanism):
    from scipy import ndimage
    mtl = medial_temporal_mask()
    near_mtl = ndimage.binary_dilation(mtl, iterations=2)
    for name in ("colin27", "mni152"):
        img = template_brains[name]
        vent, mtl_change, tissue = [], [], []
        for level in range(5):
            s = simulate(img, level, np.random.default_rng(level), augment=False, mechanism=mechanism)
            vent.append(int(ventricle_mask(s.image).sum()))
            mtl_change.append(float(np.abs(s.image - img)[near_mtl].mean()))
            tissue.append(float(s.image[mtl].sum()))
        assert vent[4] > 1.4 * vent[0], (name, vent)
        assert vent[2] > vent[0] and vent[4] > vent[2], (name, vent)
        assert mtl_change[0] == 0 and 0 < mtl_change[1] < mtl_change[2] < mtl_change[4], (name, mtl_change)
        if mechanism == "replace":  # tissue turns into CSF
            assert tissue[4] < 0.9 * tissue[0] and tissue[2] < tissue[0], (name, tissue)


def test_changed_tissue_mask_is_empty_for_cn_and_local_for_atrophy(template_brains):
    mask = model_mask()
    img = template_brains["colin27"]
    s0 = simulate(img, 0, np.random.default_rng(0), augment=False)
    assert not s0.changed.any()
    np.testing.assert_allclose(s0.image, img, atol=1e-6)  # level 0 without nuisance = the brain itself
    s4 = simulate(img, 4, np.random.default_rng(0), augment=False)
    share = s4.changed.sum() / mask.sum()
    assert 0.003 < share < 0.08, share  # local change, not the whole brain
    assert not (s4.changed & ~mask).any()
    from scipy import ndimage
    near = ndimage.binary_dilation(ventricle_mask(img) | medial_temporal_mask(), iterations=5)
    assert (s4.changed & near).sum() / s4.changed.sum() > 0.9


def test_same_seed_same_volume_and_nuisance_changes_only_appearance(template_brains):
    mask = model_mask()
    img = template_brains["mni152"]
    a = simulate(img, 3, np.random.default_rng(5))
    b = simulate(img, 3, np.random.default_rng(5))
    np.testing.assert_array_equal(a.image, b.image)
    assert a.image.shape == img.shape and a.image.dtype == np.float32
    assert np.isfinite(a.image).all() and a.image.max() <= 1.5 and not a.image[~mask].any()


def test_ventricle_segmentation_finds_the_lateral_ventricles(template_brains):
    v = ventricle_mask(template_brains["colin27"])
    from nets.transforms.engine_grid import ENGINE_AFFINE
    centre_mm = ENGINE_AFFINE[:3, :3] @ np.argwhere(v).mean(0) + ENGINE_AFFINE[:3, 3]
    assert 300 < v.sum() < 4000  # 2.4-32 ml at 2 mm
    assert abs(centre_mm[0]) < 6 and -40 < centre_mm[1] < 10 and 0 < centre_mm[2] < 30, centre_mm


def test_mechanism_choice_follows_the_mechanisms_setting(template_brains):
    img = template_brains["colin27"]
    default = {simulate(img, 2, np.random.default_rng(k), augment=False).mechanism for k in range(8)}
    assert default == {"push", "replace"}
    radial_only = {simulate(img, 2, np.random.default_rng(k), augment=False, mechanisms=("radial",)).mechanism
                   for k in range(3)}
    assert radial_only == {"radial"}


def test_ventricles_mechanism_enlarges_the_ventricles_and_leaves_the_medial_temporal_lobe_alone(template_brains):
    img = template_brains["colin27"]
    mtl = medial_temporal_mask()
    s0 = simulate(img, 0, np.random.default_rng(0), augment=False, mechanism="ventricles")
    s4 = simulate(img, 4, np.random.default_rng(0), augment=False, mechanism="ventricles")
    assert ventricle_mask(s4.image).sum() > 1.4 * ventricle_mask(s0.image).sum()
    push = simulate(img, 4, np.random.default_rng(0), augment=False, mechanism="push")
    # the temporal horns touch the hippocampi, so a little change reaches the medial temporal lobe, far less than
    # when it shrinks
    assert np.abs(s4.image - img)[mtl].mean() < 0.3 * np.abs(push.image - img)[mtl].mean()
    assert s4.changed.sum() > 100


def test_one_pass_per_generator_measures_change_and_severity(template_brains):
    """by_generator: per generator and level, the ventricles grow (medial temporal tissue left alone by the
    ventricles-only mechanism), and the model's expected severity is reported; severity_checks reads its
    probabilities."""
    import torch
    from nets.evaluation.brain_stage import by_generator, severity_checks

    class VentricleReader(torch.nn.Module):
        """Expected severity grows with the share of dark (CSF-like) voxels near the centre."""

        def forward(self, x):
            dark = ((x[:, 0, 30:50, 35:60, 30:50] < 0.3) & (x[:, 0, 30:50, 35:60, 30:50] > 0)).float().mean((1, 2, 3))
            return torch.stack([-k * 40 * dark + k * (k - 1) for k in range(5)], 1) * -1

    brains = {"sub-colin": template_brains["colin27"]}
    out, probs = by_generator(VentricleReader(), brains, ["sub-colin", "mni152"],
                              mechanisms=("push", "ventricles"))
    assert set(out) == {"push", "ventricles", "evaluation_radial_generator"}
    for name, r in out.items():
        v = r["ventricle_volume_ratio"]
        assert v[0] == 1.0 and v[4] > 1.3 and v[2] > v[0], (name, v)
        assert len(r["expected_severity"]) == 5
    assert 0.97 < out["ventricles"]["medial_temporal_tissue_ratio"][4] < 1.03
    assert out["push"]["medial_temporal_tissue_ratio"][4] < 1.0
    p = probs["evaluation_radial_generator"]
    assert p.shape == (1, 5, 5) and np.allclose(p.sum(-1), 1)
    checks = severity_checks(p, ["sub-colin"])
    assert checks["expected_severity_by_level"] == pytest.approx((p @ np.arange(5)).mean(0).tolist())
    rises = bool(np.all(np.diff(p[0] @ np.arange(5)) > 0))
    assert checks["severity_rises_every_level_share"] == float(rises)


def test_severity_checks_on_known_probabilities():
    from nets.evaluation.brain_stage import severity_checks
    eye = np.eye(5)
    good = np.stack([eye, eye])  # two subjects, level k called class k
    c = severity_checks(good, ["a", "b"])
    assert c["severity_rises_every_level_share"] == 1 and c["most_severe_called_lmci_or_ad_share"] == 1
    assert c["ad_vs_cn_balanced_accuracy"] == 1
    flat = np.tile(eye[0], (2, 5, 1))  # everything called CN
    c = severity_checks(flat, ["a", "b"])
    assert c["severity_rises_share"] == 0 and c["most_severe_called_lmci_or_ad_share"] == 0
    assert c["ad_vs_cn_balanced_accuracy"] == 0.5


def test_native_space_generator_enlarges_ventricles_and_erodes_the_medial_temporal_lobe():
    """The evaluation-only generator on a scan as stored (Colin27 with its skull, 1 mm): after the engine's whole
    preprocessing the ventricles are larger and the medial temporal tissue smaller, level by level; the scan's
    grid and everything far from the two structures are untouched."""
    from nets.io.nifti_loader import load_nifti
    from nets.simulation.native_atrophy import native_atrophy
    from nets.transforms.brain_preprocessing import BrainPreprocessor
    from nets.transforms.templates import COLIN27_HEAD
    if not COLIN27_HEAD.exists():
        pytest.skip("Debian mricron-data (Colin27) not installed")
    vol = load_nifti(COLIN27_HEAD)
    prep = BrainPreprocessor()
    base = prep(vol)
    mtl = medial_temporal_mask()
    assert native_atrophy(vol, 0, base) is vol
    vent, tissue = [], []
    for level in (0, 2, 4):
        v = native_atrophy(vol, level, base)
        assert v.data.shape == vol.data.shape and np.array_equal(v.affine, vol.affine)
        changed = v.data != vol.data
        assert changed.mean() < 0.02  # local
        assert not changed[:, :, -20:].any() and not changed[:20].any()  # the vertex / one side of the head
        x = base.image if level == 0 else prep(v).image
        vent.append(int(ventricle_mask(x).sum()))
        tissue.append(int((x[mtl] > 0.45).sum()))
    assert vent[0] < vent[1] < vent[2] and vent[2] > 1.4 * vent[0], vent
    assert tissue[0] > tissue[1] > tissue[2] and tissue[2] < 0.9 * tissue[0], tissue



def test_native_space_generator_changes_the_ventricles_at_the_mildest_level(monkeypatch):
    """Growth below one voxel still turns a partial-volume ring into CSF (level 1 = 0.5 mm at 1 mm voxels)."""
    import nets.simulation.native_atrophy as na
    from nets.io.nifti_loader import load_nifti
    from nets.transforms.brain_preprocessing import BrainPreprocessor
    from nets.transforms.templates import COLIN27_HEAD
    if not COLIN27_HEAD.exists():
        pytest.skip("Debian mricron-data (Colin27) not installed")
    vol = load_nifti(COLIN27_HEAD)
    monkeypatch.setattr(na, "MTL_MM_PER_LEVEL", 0.0)  # ventricles only
    v = na.native_atrophy(vol, 1, BrainPreprocessor()(vol))
    darker = (v.data < vol.data - 1e-3).sum()
    assert darker > 500, darker


def test_replace_erodes_medial_temporal_tissue_from_csf_and_replace_v1_is_kept(template_brains):
    """replace: the medial temporal tissue that turns into CSF touches CSF (no CSF-dark voxels left in the middle of
    tissue, the first version's signature); mild levels change the ventricles too. replace_v1 is still the first
    version (reproduces the first models); unknown mechanisms are refused."""
    from scipy import ndimage
    from nets.simulation.structures import CSF_THRESHOLD
    img = template_brains["colin27"]
    mtl = medial_temporal_mask()
    csf_near = ndimage.binary_dilation(img < CSF_THRESHOLD, iterations=4)
    new = simulate(img, 4, np.random.default_rng(3), augment=False, mechanism="replace")
    old = simulate(img, 4, np.random.default_rng(3), augment=False, mechanism="replace_v1")
    assert ((new.image < CSF_THRESHOLD) & (img >= CSF_THRESHOLD) & mtl).sum() > 50  # tissue turned into CSF
    far_new, far_old = (new.changed & mtl & ~csf_near).sum(), (old.changed & mtl & ~csf_near).sum()
    assert far_new <= 0.05 * (new.changed & mtl).sum(), far_new
    assert far_old > 0.5 * (old.changed & mtl).sum(), far_old
    mild = simulate(img, 1, np.random.default_rng(4), augment=False, mechanism="replace")
    assert ventricle_mask(mild.image).sum() > ventricle_mask(img).sum()
    with pytest.raises(ValueError):
        simulate(img, 2, np.random.default_rng(0), mechanism="shrink")
    with pytest.raises(ValueError):
        simulate(img, 2, np.random.default_rng(0), mechanisms=("push", "replce"))


def test_anatomy_warp_moves_the_whole_brain_smoothly_and_is_not_counted_as_atrophy(template_brains):
    """The anatomy warp (another person's shape) is bounded by its amplitude, changes the brain at level 0 too, and
    the ground-truth mask still marks only the atrophy (the warp is applied first). Without it simulate draws the
    same random numbers as before, so the training sets of earlier models are reproduced."""
    from nets.simulation.anatomy_warp import anatomy_warp, displacement_field
    img = template_brains["colin27"]
    d = displacement_field(np.random.default_rng(0), 2.5)
    assert d.shape == (3, *img.shape) and abs(float(np.abs(d).max()) - 2.5) < 1e-4
    assert float(np.abs(np.diff(d, axis=1)).max()) < 0.5  # smooth: neighbours move almost together
    w0 = simulate(img, 0, np.random.default_rng(1), augment=False, anatomy_warp_voxels=3.0)
    assert not w0.changed.any()
    assert np.abs(w0.image - img)[model_mask()].mean() > 0.005  # the anatomy did change
    np.testing.assert_array_equal(w0.image, simulate(img, 0, np.random.default_rng(1), augment=False,
                                                     anatomy_warp_voxels=3.0).image)
    w4 = simulate(img, 4, np.random.default_rng(1), augment=False, anatomy_warp_voxels=3.0, mechanism="replace")
    rng = np.random.default_rng(1)
    base = anatomy_warp(img, rng, 3.0)  # the same first draws, then the same atrophy on the warped brain
    np.testing.assert_array_equal(w4.changed, simulate(base, 4, rng, augment=False, mechanism="replace").changed)
    assert w4.changed.any()
    plain = simulate(img, 4, np.random.default_rng(2), augment=True)
    np.testing.assert_array_equal(plain.image, simulate(img, 4, np.random.default_rng(2), augment=True,
                                                        anatomy_warp_voxels=0.0).image)


def test_natural_ventricle_variation_enlarges_or_shrinks_the_ventricles_and_is_not_atrophy(template_brains):
    from scipy import ndimage
    from nets.simulation.atrophy import natural_ventricle_variation
    img = template_brains["colin27"]
    v0 = ventricle_mask(img).sum()
    ratios = [ventricle_mask(natural_ventricle_variation(img, np.random.default_rng(k), 0.5)).sum() / v0
              for k in range(6)]
    assert min(ratios) < 0.95 and max(ratios) > 1.05, ratios  # both directions
    y = natural_ventricle_variation(img, np.random.default_rng(1), 0.5)
    near = ndimage.binary_dilation(ventricle_mask(img), iterations=8)
    diff = np.abs(y - img)
    assert diff[~near].max() < 0.01 and diff[near].max() > 0.1  # only around the ventricles
    s0 = simulate(img, 0, np.random.default_rng(2), augment=False, ventricle_variation=0.5)
    assert not s0.changed.any() and not np.allclose(s0.image, img)
