"""The same brain in another orientation, voxel size or intensity scale gives (nearly) the same model input."""
import numpy as np
import pytest

from nets.io.nifti_loader import Volume, load_nifti
from nets.transforms.templates import COLIN27_HEAD
from tests.conftest import need_file, need_shared


@pytest.fixture(scope="module")
def prep():
    from nets.transforms.brain_preprocessing import BrainPreprocessor
    return BrainPreprocessor()


def _corr(a, b):
    m = (a > 0) | (b > 0)
    return float(np.corrcoef(a[m], b[m])[0, 1])


@pytest.fixture(scope="module")
def colin():
    return load_nifti(need_file(COLIN27_HEAD))


def test_reoriented_copy_gives_same_input(prep, colin):
    base = prep(colin).image
    # store the same voxels as LPI with the affine that says so
    flip = np.diag([-1, 1, -1, 1.0])
    flip[0, 3] = colin.data.shape[0] - 1
    flip[2, 3] = colin.data.shape[2] - 1
    data = colin.data[::-1, :, ::-1].transpose(1, 0, 2)
    aff = (colin.affine @ flip)[:, [1, 0, 2, 3]]
    other = prep(Volume(np.ascontiguousarray(data), aff, colin.zooms, "", 0)).image
    assert _corr(base, other) > 0.97


def test_resampled_copy_gives_same_input(prep, colin):
    from scipy import ndimage
    base = prep(colin).image
    d = ndimage.zoom(colin.data, (0.5, 0.5, 1 / 1.5), order=1)
    aff = colin.affine @ np.diag([2.0, 2.0, 1.5, 1])
    other = prep(Volume(d.astype(np.float32), aff, (2, 2, 1.5), "", 0)).image
    assert _corr(base, other) > 0.93


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_intensity_scaling_does_not_change_input(prep, colin, factor):
    base = prep(colin).image
    scaled = prep(Volume(colin.data * factor, colin.affine, colin.zooms, "", 0)).image
    assert np.abs(base - scaled).max() < 1e-3


@pytest.mark.parametrize("path", [
    "/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz",
    str(COLIN27_HEAD),
])
def test_real_layouts_are_accepted(prep, path):
    r = prep(load_nifti(need_file(path)))
    assert r.image.shape == (80, 96, 80) and r.similarity > 0.45


def test_nilearn_mni152_is_accepted(prep):
    import nilearn
    from pathlib import Path
    p = Path(nilearn.__file__).parent / "datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
    assert prep(load_nifti(p)).similarity > 0.9


def test_shared_brains_are_accepted(prep):
    d = need_shared("brain_t1")
    for p in sorted(d.glob("sub-*_T1w.nii.gz"))[:3]:
        r = prep(load_nifti(p))
        assert r.similarity > 0.6, p.name


def test_adni_style_raw_layout_is_accepted(prep, colin):
    # raw ADNI MPRAGE: 166 sagittal slices of 256x256, 1.2 x 1 x 1 mm, stored as-is
    from scipy import ndimage
    d = ndimage.zoom(colin.data, (166 / 181, 256 / 217, 256 / 181), order=1).astype(np.float32)
    aff = np.array([[1.2 * 181 / 166 * 0 + 181 / 166, 0, 0, -90], [0, 217 / 256, 0, -125], [0, 0, 181 / 256, -71],
                    [0, 0, 0, 1]])
    r = prep(Volume(d, aff, (1.09, 0.85, 0.71), "", 0))
    assert r.similarity > 0.6


def test_a_grid_sampled_in_two_halves_equals_one_pass(monkeypatch):
    """resample_to_grid samples a large grid in two halves on two threads: the same values as in one pass (the
    halves' offsets are rounded differently, so equal to float32 precision, and nearly all bit for bit)."""
    import nets.transforms.resample as resample
    rng = np.random.default_rng(0)
    data = rng.random((61, 73, 59)).astype(np.float32)
    affine = np.diag([1.2, 1.1, 1.3, 1.0])
    target = np.diag([2.0, 2.0, 2.0, 1.0])
    target[:3, 3] = (-3.0, 1.5, 2.0)
    world = np.eye(4)
    world[:3, :3] = [[0.99, 0.05, 0.0], [-0.05, 0.99, 0.02], [0.0, -0.02, 1.01]]
    shape = (41, 37, 39)
    split = resample.resample_to_grid(data, affine, target, shape, world_map=world)
    monkeypatch.setattr(resample, "SPLIT_MIN_POINTS", 10 ** 9)
    whole = resample.resample_to_grid(data, affine, target, shape, world_map=world)
    assert split.shape == whole.shape == shape and split.dtype == whole.dtype == np.float32
    assert np.abs(split - whole).max() < 1e-5 and (split == whole).mean() > 0.99
    assert (whole[:20] > 0).any() and (whole[20:] > 0).any()  # both halves sample the volume


def test_grid_sampler_gives_the_full_resample_at_the_masked_voxels():
    """The alignment scores only a mask's voxels through grid_sampler: at those voxels it must give what
    resample_to_grid gives for the whole grid, for every world map the optimiser tries."""
    from nets.transforms.brain_preprocessing import rigid_scale_matrix
    from nets.transforms.resample import grid_sampler, resample_to_grid
    rng = np.random.default_rng(1)
    data = rng.random((40, 46, 38)).astype(np.float32)
    affine = np.diag([3.0, 2.7, 3.2, 1.0])
    affine[:3, 3] = (-60.0, -62.0, -58.0)
    target = np.diag([4.0, 4.0, 4.0, 1.0])
    target[:3, 3] = (-40.0, -46.0, -38.0)
    shape = (20, 23, 19)
    mask = rng.random(shape) < 0.4
    sample = grid_sampler(data, affine, target, np.argwhere(mask), rigid_scale_matrix)
    for p in (np.zeros(9), np.array([4.0, -3.0, 2.5, 0.1, -0.05, 0.2, 0.05, -0.1, 0.02])):
        whole = resample_to_grid(data, affine, target, shape, world_map=rigid_scale_matrix(p))
        got = sample(p)
        assert got.dtype == np.float32 and got.shape == (mask.sum(),)
        assert np.abs(got - whole[mask]).max() < 1e-6
        assert (got > 0).mean() > 0.5  # the points land inside the volume, not in the zero padding


def test_refine_world_map_recovers_a_known_shift():
    """The masked NCC alignment finds a 6 mm shift of the template itself (within a voxel of the 4 mm grid)."""
    from nets.transforms.brain_preprocessing import refine_world_map
    from nets.transforms.engine_grid import ENGINE_AFFINE
    from nets.transforms.templates import get_templates
    t = get_templates()
    shifted = ENGINE_AFFINE.copy()
    shifted[:3, 3] += (6.0, 0.0, 0.0)  # the same voxels stored 6 mm further along x
    wm = refine_world_map(t.brain, shifted, np.eye(4), t.brain, t.brain_mask, max_evals=150, coarse_mm=4.0)
    assert abs(wm[0, 3] - 6.0) < 2.0 and abs(wm[1, 3]) < 2.0 and abs(wm[2, 3]) < 2.0
