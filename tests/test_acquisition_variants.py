"""The scanner/protocol variants used to check that healthy brains stay CN: each one changes the scan as stored but
not the anatomy's place in the world, so the engine's preprocessing lands it where the original lands."""
import numpy as np
import pytest

from nets.simulation.acquisition_variants import ACQUISITION_VARIANTS, head_size, thick_slices
from nets.transforms.brain_preprocessing import BrainPreprocessor, ncc, model_mask


@pytest.fixture(scope="module")
def colin():
    from nets.io.nifti_loader import load_nifti
    from nets.transforms.templates import COLIN27_HEAD
    if not COLIN27_HEAD.exists():
        pytest.skip("Debian mricron-data (Colin27) not installed")
    return load_nifti(COLIN27_HEAD)


def _world_centre(vol):
    idx = np.argwhere(vol.data > np.percentile(vol.data, 80))
    return idx.mean(0) @ vol.affine[:3, :3].T + vol.affine[:3, 3]


def test_every_variant_changes_the_scan_but_thick_slices_keep_the_world_position(colin):
    for name, f in ACQUISITION_VARIANTS.items():
        v = f(colin)
        assert v.data.dtype == np.float32 and np.isfinite(v.data).all(), name
        assert v.data.shape != colin.data.shape or not np.array_equal(v.affine, colin.affine) \
            or not np.allclose(v.data, colin.data), name
    t = thick_slices(2, 3)(colin)
    assert t.data.shape[2] == colin.data.shape[2] // 3 and t.zooms[2] == pytest.approx(3 * colin.zooms[2])
    assert np.abs(_world_centre(t) - _world_centre(colin)).max() < 1.0  # mm
    # stored in another order (coronal slices along the first stored axis): still the front-back axis is thickened
    from nets.io.nifti_loader import Volume
    perm = np.eye(4)[[1, 0, 2, 3]]
    swapped = Volume(np.ascontiguousarray(colin.data.transpose(1, 0, 2)), colin.affine @ perm,
                     (colin.zooms[1], colin.zooms[0], colin.zooms[2]), "x", 0)
    c = thick_slices(1, 3)(swapped)
    assert c.data.shape[0] == swapped.data.shape[0] // 3 and c.data.shape[1] == swapped.data.shape[1]


def test_preprocessing_undoes_head_size_and_slice_thickness(colin):
    """A head 10 % smaller or larger lands where the original does (with a fixed-height slab for the moments a
    larger head came out ~9 mm low: NCC 0.62, below that of two different brains)."""
    prep = BrainPreprocessor()
    base = prep(colin).image
    m = model_mask()
    for f in (head_size(0.9), head_size(1.1), thick_slices(0, 3)):
        x = prep(f(colin)).image
        assert ncc(x, base, m) > 0.93
