"""Every bad MRI input yields its typed error with a human message, and nothing is written to imgs/."""
import numpy as np
import pytest

from nets import errors
from nets.io.nifti_loader import load_nifti_bytes
from tests.bad_inputs import bad_corpus, nii_bytes

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
