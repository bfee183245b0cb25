"""IXI heads (skull and face on, 2 mm, PSR, uint8 with scl_slope, a header extension) reach the engine grid aligned
as well as the skull-stripped ds002748 brains: same similarity measure, skull outside the brain mask."""
import numpy as np
import pytest

from nets.io.nifti_loader import load_nifti, parse_header
from tests.conftest import need_shared


@pytest.fixture(scope="module")
def ixi_file():
    d = need_shared("brain_t1_ixi")
    return sorted(d.glob("IXI*_T1w.nii.gz"))[0]


def test_ixi_header_extension_and_scale_are_read(ixi_file):
    raw = ixi_file.read_bytes()
    hdr, is_gz = parse_header(raw)
    assert is_gz and hdr.get_data_dtype() == np.uint8
    assert float(hdr["scl_slope"]) not in (0.0, 1.0)  # the scale factor is applied, not ignored
    vol = load_nifti(ixi_file)
    assert vol.header["orientation"] == "PSR" and vol.data.dtype == np.float32
    codes = np.unique(vol.data[::4, ::4, ::4])
    assert np.allclose(codes[1] - codes[0], float(hdr["scl_slope"]), rtol=1e-3)


def test_ixi_head_is_aligned_and_skull_stripped(ixi_file):
    from nets.transforms.brain_preprocessing import WARN_SIMILARITY, BrainPreprocessor, model_mask
    from nets.transforms.templates import get_templates
    pb = BrainPreprocessor()(load_nifti(ixi_file))
    assert pb.image.shape == (80, 96, 80) and not pb.warnings
    # the brain-template refinement lifts IXI heads from ~0.61 (head template alone) to ~0.72-0.74
    assert pb.similarity > WARN_SIMILARITY + 0.03, pb.similarity
    assert not pb.image[~model_mask()].any()  # the skull and face are outside the template brain mask: removed
    brain = get_templates().brain_mask
    inside = pb.image[brain] > 0.1
    assert inside.mean() > 0.95  # and the brain fills the mask (not shifted half out of it)
