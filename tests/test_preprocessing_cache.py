"""PreprocessingCache: the same bytes get the same preprocessing without redoing it; only bundled files go to disk;
results never share arrays with the cache; a changed preprocessing code version or a failure is never served."""
import numpy as np
import pytest

from nets.errors import NotABrainError
from nets.io.nifti_loader import Volume
from nets.transforms.brain_preprocessing import PreprocessedBrain
from nets.transforms.preprocessing_cache import PreprocessingCache, _key_version


class CountingPreprocessor:
    def __init__(self):
        self.calls = 0

    def __call__(self, vol):
        self.calls += 1
        if vol.sha256 == "bad":
            raise NotABrainError("not a brain")
        return PreprocessedBrain(np.full((4, 4, 4), self.calls, np.float32), np.ones((4, 4, 4), bool), np.eye(4),
                                 "head", 0.7, ["low similarity"])


def vol(sha, n=10):
    return Volume(data=np.zeros((2, 2, 2), np.float32), affine=np.eye(4), zooms=(1, 1, 1), sha256=sha, n_bytes=n)


def test_same_bytes_are_preprocessed_once_and_results_do_not_share_arrays(tmp_path):
    prep = CountingPreprocessor()
    cache = PreprocessingCache(prep, max_items=2, disk_dir=tmp_path)
    a = cache(vol("aa"))
    a.image[:] = -1  # a result that changes its input must not change the next one
    a.warnings.append("mine")
    b = cache(vol("aa"))
    assert prep.calls == 1 and b.image.max() == 1 and b.warnings == ["low similarity"]
    cache(vol("bb")), cache(vol("cc"))  # "aa" falls out of the two-item memory
    cache(vol("aa"))
    assert prep.calls == 4 and cache.hits == {"memory": 1, "disk": 0, "computed": 4}
    assert list(tmp_path.iterdir()) == []  # no bundled file: nothing on disk


def test_failures_are_not_cached():
    prep = CountingPreprocessor()
    cache = PreprocessingCache(prep)
    for _ in range(2):
        with pytest.raises(NotABrainError):
            cache(vol("bad"))
    assert prep.calls == 2


def test_bundled_file_is_kept_on_disk_for_the_next_process(tmp_path):
    import hashlib
    demo = tmp_path / "demo.nii"
    demo.write_bytes(b"demo bytes")
    sha = hashlib.sha256(b"demo bytes").hexdigest()
    disk = tmp_path / "cache"
    first = PreprocessingCache(CountingPreprocessor(), disk_dir=disk, bundled=(demo,))
    p1 = first(vol(sha, n=10))
    files = list(disk.iterdir())
    assert len(files) == 1 and _key_version() in files[0].name
    fresh_prep = CountingPreprocessor()
    second = PreprocessingCache(fresh_prep, disk_dir=disk, bundled=(demo,))  # a new process
    p2 = second(vol(sha, n=10))
    assert fresh_prep.calls == 0 and second.hits["disk"] == 1
    assert np.array_equal(p1.image, p2.image) and p2.template == "head" and p2.warnings == ["low similarity"]
    # a user's file of the same size but other bytes is neither read from nor written to disk
    other = PreprocessingCache(CountingPreprocessor(), disk_dir=disk, bundled=(demo,))
    other(vol("0" * 64, n=10))
    assert other.hits == {"memory": 0, "disk": 0, "computed": 1} and len(list(disk.iterdir())) == 1


def test_real_demo_volume_gives_the_same_input_from_the_cache(tmp_path):
    """The bundled demo preprocessed by the engine, then read back from disk in a 'new process': identical."""
    from nets.demo_volume import ensure_demo
    from nets.io.nifti_loader import load_nifti
    from nets.transforms.brain_preprocessing import BrainPreprocessor
    demo = ensure_demo()
    v = load_nifti(demo)
    engine = BrainPreprocessor()
    direct = engine(v)
    PreprocessingCache(engine, disk_dir=tmp_path, bundled=(demo,))(v)
    again = PreprocessingCache(CountingPreprocessor(), disk_dir=tmp_path, bundled=(demo,))(v)
    assert np.array_equal(direct.image, again.image) and np.allclose(direct.world_map, again.world_map)
    assert direct.similarity == pytest.approx(again.similarity) and direct.template == again.template


def test_the_preprocessor_is_made_on_the_first_miss_only(tmp_path):
    from nets.transforms.preprocessing_cache import BuiltOnFirstUse
    made = []

    def factory():
        made.append(1)
        return CountingPreprocessor()

    lazy = BuiltOnFirstUse(factory)
    cache = PreprocessingCache(lazy, disk_dir=tmp_path)
    assert made == []  # a cache that only serves stored volumes never sets the preprocessing up
    cache(vol("aa")), cache(vol("aa")), cache(vol("bb"))
    assert made == [1] and lazy._made.calls == 2


def test_a_stored_file_is_served_without_decoding_it(tmp_path, monkeypatch):
    """for_file keys on the file's sha256: a second process finds a bundled file's result on disk without loading
    the NIfTI; a file not seen before is loaded and preprocessed once."""
    import nets.io.nifti_loader as loader
    f = tmp_path / "bundled.nii"
    f.write_bytes(b"not really a nifti, the preprocessor below does not read it")
    loads = []
    monkeypatch.setattr(loader, "load_nifti", lambda p: loads.append(p) or vol("unused", f.stat().st_size))
    first = PreprocessingCache(CountingPreprocessor(), disk_dir=tmp_path / "c", bundled=(f,))
    (tmp_path / "c").mkdir()
    a = first.for_file(f)
    assert len(loads) == 1 and first.hits["computed"] == 1
    second = PreprocessingCache(CountingPreprocessor(), disk_dir=tmp_path / "c", bundled=(f,))  # a new process
    b = second.for_file(f)
    assert len(loads) == 1 and second.hits == {"memory": 0, "disk": 1, "computed": 0}
    assert np.array_equal(a.image, b.image)
