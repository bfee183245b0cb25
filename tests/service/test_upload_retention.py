"""Disk bounds: uploads and rendered images are kept within a size budget as well as an age, oldest first, each
store on its own; demo.nii and anything outside the retention roots are never touched. All in tmp folders."""
import os
import time

import pytest

from nets.service import upload_store as uploads


@pytest.fixture
def roots(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "UPLOAD_DIR", tmp_path / "nii")
    monkeypatch.setattr(uploads, "IMGS_DIR", tmp_path / "imgs")
    monkeypatch.setattr(uploads, "RETENTION_HOURS", 24.0)
    monkeypatch.setattr(uploads, "CHECK_EVERY_S", 0)
    (tmp_path / "nii").mkdir()
    (tmp_path / "nii" / "demo.nii").write_bytes(b"d" * 2**20)
    return tmp_path


def put(path, n_bytes, age_s):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * n_bytes)
    t = time.time() - age_s
    os.utime(path, (t, t))
    if path.parent.name not in ("uploads", "uploads_images", "montage"):  # a run folder: its own time
        os.utime(path.parent, (t, t))


def test_uploads_over_budget_lose_the_oldest_first(roots, monkeypatch):
    monkeypatch.setattr(uploads, "UPLOADS_MAX_MB", 3.0)
    files = [roots / "nii" / ("uploads" if i % 2 else "uploads_images") / f"u{i}.nii" for i in range(6)]
    for i, f in enumerate(files):
        put(f, 2**20, age_s=600 - i * 60)  # u0 oldest
    r = uploads.clean()
    assert r["removed_uploads_for_size"] == 3 and r["removed_old"] == 0
    assert [f.exists() for f in files] == [False, False, False, True, True, True]
    assert (roots / "nii" / "demo.nii").exists()


def test_images_over_budget_lose_whole_oldest_runs_across_folders(roots, monkeypatch):
    monkeypatch.setattr(uploads, "IMGS_MAX_MB", 2.5)
    runs = []
    for i in range(4):
        run = f"run{i}"
        parts = [roots / "imgs" / sub / run / "a.png" for sub in ("img_raw", "img_hot")] + \
                [roots / "imgs" / "montage" / f"{run}.png", roots / "imgs" / "img_future_kind" / run / "b.png"]
        for p in parts:
            put(p, 2**18, age_s=1000 - i * 100)  # 1 MB per run in four folders
        runs.append(parts)
    r = uploads.clean()
    kept = [all(p.exists() for p in parts) for parts in runs]
    gone = [not any(p.exists() for p in parts) for parts in runs]
    assert kept == [False, False, True, True] and gone == [True, True, False, False], r
    assert r["removed_images_for_size"] == 8


def test_age_rule_still_applies_and_a_budget_of_zero_empties_the_store(roots, monkeypatch):
    put(roots / "nii" / "uploads" / "old.nii", 10, age_s=25 * 3600)
    put(roots / "nii" / "uploads" / "new.nii", 10, age_s=10)
    assert uploads.clean()["removed_old"] == 1
    assert (roots / "nii" / "uploads" / "new.nii").exists()
    monkeypatch.setattr(uploads, "UPLOADS_MAX_MB", 0)
    uploads.clean()
    assert not any((roots / "nii" / "uploads").iterdir()) and (roots / "nii" / "demo.nii").exists()


def test_store_upload_applies_the_budget(roots, monkeypatch):
    monkeypatch.setattr(uploads, "UPLOADS_MAX_MB", 1.5)
    for i in range(4):
        uploads.store_upload(b"\x89PNG" + b"x" * 2**19, "chest")  # 0.5 MB each
        time.sleep(0.3)  # the check runs in a background thread
    time.sleep(0.5)
    total = sum(p.stat().st_size for p in (roots / "nii" / "uploads_images").iterdir())
    assert 0 < total <= 1.5 * 2**20


def test_configure_from_flags():
    before = (uploads.RETENTION_HOURS, uploads.UPLOADS_MAX_MB, uploads.IMGS_MAX_MB)
    try:
        uploads.configure(2, 10, None)
        assert (uploads.RETENTION_HOURS, uploads.UPLOADS_MAX_MB, uploads.IMGS_MAX_MB) == (2.0, 10.0, before[2])
    finally:
        uploads.configure(*before)
