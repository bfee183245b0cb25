"""Every bad MRI input yields its typed error with a human message, and nothing is written to imgs/."""
import numpy as np
import pytest

from nets import errors
from nets.io.nifti_loader import load_nifti_bytes
from tests.bad_inputs import bad_corpus, nii_bytes, qform_only_bytes

CORPUS = bad_corpus()


@pytest.mark.parametrize("name,raw,expected", CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_input_typed_error_and_nothing_written(name, raw, expected, tmp_path):
    from nets.predictor import Predictor
    p = Predictor(imgs_root=tmp_path / "imgs")
    with pytest.raises(errors.InputError) as ei:
        p.predict_bytes(raw, task="mri")
    assert type(ei.value).__name__ == expected, (name, ei.value)
    msg = str(ei.value)
    assert 10 < len(msg) < 300 and "Traceback" not in msg
    assert not (tmp_path / "imgs").exists() or not any((tmp_path / "imgs").rglob("*.png"))


def test_corpus_is_large_enough():
    assert len({c[2] for c in CORPUS}) >= 8 and len(CORPUS) >= 12


def test_huge_header_rejected_before_reading():
    from tests.bad_inputs import huge_header
    raw = huge_header()
    assert len(raw) < 2000
    with pytest.raises(errors.TooManyVoxelsError):
        load_nifti_bytes(raw)


def test_4d_single_volume_accepted():
    v = load_nifti_bytes(nii_bytes(np.random.rand(20, 20, 20, 1).astype(np.float32)))
    assert v.data.shape == (20, 20, 20)


def test_gzip_and_plain_give_same_volume():
    import gzip
    raw = nii_bytes(np.arange(20 * 20 * 20, dtype=np.float32).reshape(20, 20, 20))
    a, b = load_nifti_bytes(raw), load_nifti_bytes(gzip.compress(raw))
    assert np.array_equal(a.data, b.data)


def test_header_extension_of_4kb_is_read_and_gives_the_same_answer(demo_path, predictor):
    """A legal NIfTI-1 with a 4 KB header extension (as scanners and converters write) is parsed with its extension
    and analysed exactly like the same volume without it, plain or gzip."""
    import gzip
    from nets.io.nifti_loader import parse_header
    from tests.bad_inputs import with_extension
    raw = demo_path.read_bytes()
    ext = with_extension(raw, 4096)
    hdr, _ = parse_header(ext)
    assert len(hdr.extensions) == 1 and len(hdr.extensions[0].get_content()) >= 4000
    plain, with_ext, with_ext_gz = (load_nifti_bytes(b) for b in (raw, ext, gzip.compress(ext)))
    assert np.array_equal(plain.data, with_ext.data) and np.array_equal(plain.data, with_ext_gz.data)
    assert np.allclose(plain.affine, with_ext.affine)
    a = predictor.predict_bytes(raw, explain=False).to_json()
    b = predictor.predict_bytes(ext, explain=False).to_json()
    assert a["prediction"] == b["prediction"] and a["probabilities"] == b["probabilities"]


def test_gzip_header_is_inflated_only_up_to_its_data_offset():
    """parse_header on a .gz of a 38 MB volume with a 4 KB extension allocates kilobytes, not the volume."""
    import gzip
    import tracemalloc
    from nets.io.nifti_loader import parse_header
    from tests.bad_inputs import with_extension
    raw = with_extension(nii_bytes(np.zeros((400, 400, 240), np.uint8)), 4096)
    gz = gzip.compress(raw, 1)
    del raw
    tracemalloc.start()
    hdr, is_gz = parse_header(gz)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert is_gz and len(hdr.extensions) == 1 and tuple(hdr.get_data_shape()) == (400, 400, 240)
    assert peak < 1_000_000, peak


def test_zero_voxel_size_in_qform_with_sform_unset_is_refused():
    """nibabel would read pixdim 0 as 1 mm; the header as written is refused with a typed error naming the qform."""
    from tests.bad_inputs import qform_only_bytes
    vol = np.random.rand(32, 32, 32).astype(np.float32)
    with pytest.raises(errors.InvalidVoxelSizeError) as ei:
        load_nifti_bytes(qform_only_bytes(vol, (0.0, 1.0, 1.0)))
    assert "qform" in ei.value.message and "0.1" in ei.value.message
    ok = load_nifti_bytes(qform_only_bytes(vol, (1.0, 1.0, 1.5)))  # the same file with legal sizes is accepted
    assert np.allclose(ok.zooms, (1.0, 1.0, 1.5))


def test_nibabel_logs_nothing_while_a_bad_header_is_refused(capfd):
    from tests.bad_inputs import bad_corpus
    cases = {n: raw for n, raw, _ in bad_corpus()}
    for name in ("dim0_is_9", "qform_voxel_size_zero_sform_unset", "extension_past_end_of_file"):
        with pytest.raises(errors.InputError):
            load_nifti_bytes(cases[name])
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_nibabel_loads_without_pydicom_and_dicom_extensions_stay_opaque(tmp_path):
    """nets.io.nibabel_import hides pydicom while nibabel loads (0.13 s of a cold start): a scan with a NIfTI
    extension of type 2 (DICOM, here not even valid DICOM) still loads, and pydicom stays importable."""
    import subprocess
    import sys
    code = f"""
import sys, numpy as np
from nets.io.nibabel_import import nib
assert "pydicom" not in sys.modules, "nibabel pulled pydicom in"
img = nib.Nifti1Image(np.random.default_rng(0).random((20, 20, 20)).astype(np.float32), np.eye(4))
img.header.extensions.append(nib.nifti1.Nifti1Extension(2, b"not a DICOM dataset" * 4))
nib.save(img, {str(tmp_path / 'ext.nii')!r})
from nets.io.nifti_loader import load_nifti
v = load_nifti({str(tmp_path / 'ext.nii')!r})
assert v.data.shape == (20, 20, 20)
import pydicom
print("ok", pydicom.__name__)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok pydicom"


def test_voxels_are_converted_only_when_read_and_bad_voxels_are_still_refused(tmp_path):
    """load_nifti_bytes checks the header, size and affine at once and converts the voxels when first read: a
    volume whose preprocessing is cached never pays for it; NaN voxels raise the same typed error on that read."""
    import numpy as np

    from nets.errors import NonFiniteValuesError
    from nets.io.nibabel_import import nib
    from nets.io.nifti_loader import load_nifti_bytes
    d = np.random.default_rng(0).random((20, 20, 20)).astype(np.float32)
    nib.save(nib.Nifti1Image(d, np.eye(4)), str(tmp_path / "ok.nii"))
    v = load_nifti_bytes((tmp_path / "ok.nii").read_bytes())
    assert "data" not in v.__dict__ and v.header["shape"] == [20, 20, 20]
    assert np.array_equal(v.data, d) and "data" in v.__dict__
    d[3, 4, 5] = np.nan
    nib.save(nib.Nifti1Image(d, np.eye(4)), str(tmp_path / "nan.nii"))
    v = load_nifti_bytes((tmp_path / "nan.nii").read_bytes())
    with pytest.raises(NonFiniteValuesError):
        v.data


def test_a_gzip_of_several_members_reads_like_one_member():
    """bgzip and block-wise writers store a .nii.gz as several gzip members; nibabel reads them, so do we (the
    header check and the data), and padding after the last member is ignored as gzip does."""
    import gzip
    raw = nii_bytes(np.arange(20 * 20 * 20, dtype=np.float32).reshape(20, 20, 20))
    one = load_nifti_bytes(gzip.compress(raw))
    for parts in ([raw[:352], raw[352:]], [raw[i:i + 4096] for i in range(0, len(raw), 4096)], [b"", raw]):
        multi = b"".join(gzip.compress(p) for p in parts)
        assert np.array_equal(load_nifti_bytes(multi).data, one.data)
    assert np.array_equal(load_nifti_bytes(gzip.compress(raw) + b"\0" * 64).data, one.data)
    with pytest.raises(errors.CorruptFileError):  # a cut member is still a truncated file
        load_nifti_bytes(gzip.compress(raw[:352]) + gzip.compress(raw[352:])[:200])


def test_voxel_sizes_are_read_in_the_headers_spatial_unit():
    """xyzt_units says what pixdim and the transforms are in: 2000 micron or 0.002 m voxels are 2 mm voxels."""
    data = np.random.default_rng(0).random((20, 20, 20)).astype(np.float32)
    for unit, size in (("micron", 2000.0), ("meter", 0.002), ("mm", 2.0)):
        raw = qform_only_bytes(data, (size,) * 3)
        import nibabel as nib
        img = nib.Nifti1Image.from_bytes(raw)
        img.header.set_xyzt_units(unit)
        v = load_nifti_bytes(img.to_bytes())
        assert np.allclose(v.zooms, 2.0), unit
    img.header.set_xyzt_units("micron")  # 2 mm written as if micron: 0.002 mm, under the 0.1 mm minimum
    with pytest.raises(errors.InvalidVoxelSizeError):
        load_nifti_bytes(img.to_bytes())


def test_nifti2_dimensions_whose_product_overflows_int64_are_too_many_voxels():
    import nibabel as nib
    from nets.io.nifti_loader import check_header, parse_header
    h = nib.Nifti2Header()
    h.set_data_shape((2 ** 21, 2 ** 21, 2 ** 22))  # 2^64 voxels: int64 arithmetic gave 0
    h.set_data_dtype(np.uint8)
    with pytest.raises(errors.TooManyVoxelsError):
        check_header(parse_header(h.binaryblock + b"\0" * 4)[0])


def test_colour_and_complex_volumes_are_refused_in_words():
    import nibabel as nib
    rgb = np.zeros((20, 20, 20), dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    for data, word in ((rgb, "colour"), (np.zeros((20, 20, 20), np.complex64), "complex")):
        with pytest.raises(errors.UnsupportedFormatError, match=word):
            load_nifti_bytes(nib.Nifti1Image(data, np.eye(4)).to_bytes())
