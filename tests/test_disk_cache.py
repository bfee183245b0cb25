"""cache/ (nets/disk_cache.py): templates read back equal to a fresh build; a changed source means a new key."""
import numpy as np


def test_cached_arrays_round_trip_and_invalidate(tmp_path, monkeypatch):
    from nets import disk_cache
    monkeypatch.setattr(disk_cache, "CACHE_DIR", tmp_path / "cache")
    src = tmp_path / "source.txt"
    src.write_text("v1")
    calls = []

    def build():
        calls.append(1)
        return {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "mask": np.array([True, False]), "none": None}

    first = disk_cache.cached_arrays("t", [src], build)
    again = disk_cache.cached_arrays("t", [src], build)
    assert len(calls) == 1 and again["none"] is None
    assert np.array_equal(first["a"], again["a"]) and again["a"].dtype == np.float32 and again["mask"].dtype == bool
    src.write_text("v2")  # same name, other content: built again under a new key
    disk_cache.cached_arrays("t", [src], build)
    assert len(calls) == 2 and len(list((tmp_path / "cache").glob("t-*.npz"))) == 2


def test_templates_from_cache_equal_a_fresh_build(tmp_path, monkeypatch):
    from nets import disk_cache
    from nets.transforms import templates
    monkeypatch.setattr(disk_cache, "CACHE_DIR", tmp_path / "cache")
    templates._load.cache_clear()
    try:
        built = templates._build()
        cached = templates._load()  # first call: builds and writes the cache
        templates._load.cache_clear()
        read = templates._load()  # second: read from cache/
        assert len(list((tmp_path / "cache").glob("templates-*.npz"))) == 1
        for k, v in built.items():
            if v is None:
                assert getattr(read, k) is None
            else:
                assert np.array_equal(getattr(read, k), v) and getattr(read, k).dtype == v.dtype
                assert np.array_equal(getattr(cached, k), v)
        assert read.atlas_names == cached.atlas_names
    finally:
        templates._load.cache_clear()
