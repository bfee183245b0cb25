"""CLI contracts (JSON out, non-zero + stderr on errors, folder mode) and the concurrent-safe visit log."""
import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

from tests.conftest import ROOT, need_shared

KEYS = {"task", "model", "classes", "logits", "probabilities", "prediction", "images", "regions", "timings_s"}


def run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_predict_cli_on_demo(tmp_path, demo_path):
    rel = tmp_path / "rel.nii.gz"
    p = run("nets.predict", str(demo_path), "--out", str(tmp_path / "imgs"), "--save-relevance", str(rel))
    assert p.returncode == 0, p.stderr
    j = json.loads(p.stdout)
    assert KEYS <= set(j)
    assert j["classes"] == ["CN", "EMCI", "MCI", "LMCI", "AD"]
    assert abs(sum(j["probabilities"].values()) - 1) < 1e-4
    for kind in ("raw", "heatmap", "merged"):
        paths = [Path(x) for x in j["images"][kind]]
        assert len(paths) >= 9 and all(x.is_file() and (tmp_path / "imgs") in x.parents for x in paths)
        assert len({x.parent.name for x in paths}) == 1  # one run id per result
    assert Path(j["images"]["montage"]).exists()
    assert j["regions"] and j["regions"][0]["share"] > 0
    assert set(j["timings_s"]) >= {"load", "preprocess", "forward", "explain", "render", "total"}
    import nibabel as nib
    src = nib.load(str(demo_path))
    out = nib.load(str(rel))
    assert out.shape == src.shape and abs(out.affine - src.affine).max() < 1e-4


def test_predict_cli_error_exit(tmp_path):
    bad = tmp_path / "x.nii"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 1000)
    p = run("nets.predict", str(bad), "--out", str(tmp_path))
    assert p.returncode != 0
    assert json.loads(p.stderr.strip().splitlines()[-1])["error"] == "unsupported_format"


def test_predict_cli_folder_skips_bad_files(tmp_path, demo_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "bad.nii").write_bytes(b"not a volume at all" * 30)
    (d / "good.nii").write_bytes(demo_path.read_bytes())
    p = run("nets.predict", str(d), "--out", str(tmp_path / "o"), "--no-explain")
    assert p.returncode == 0, p.stderr
    j = json.loads(p.stdout)
    assert j["n"] == 2 and j["ok"] == 1 and j["failed"] == 1
    assert (tmp_path / "o" / "summary" / "summary.csv").exists()


def test_visit_log_concurrent_lines_are_whole(tmp_path):
    from gui.visit_log import log_event
    def worker(k):
        for i in range(50):
            log_event("predict", f"s{k}", "127.0.0.1", "ua" * 100, log_dir=tmp_path, n=i, pad="x" * 2000)
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    lines = [json.loads(x) for f in tmp_path.glob("*.jsonl") for x in f.read_text().splitlines()]
    assert len(lines) == 400
    assert {(r["session"], r["n"]) for r in lines} == {(f"s{k}", i) for k in range(8) for i in range(50)}
    from gui.logs import summarise
    s = summarise(tmp_path, 1)
    assert s["lines"] == 400 and s["sessions"] == 8 and s["unreadable_lines"] == 0


def test_client_ip_uses_forwarded_for():
    from gui.visit_log import client_ip
    assert client_ip({"X-Forwarded-For": "203.0.113.5, 10.0.0.1"}, "127.0.0.1") == "203.0.113.5"
    assert client_ip({}, "127.0.0.1") == "127.0.0.1"


def test_evaluate_cli_on_a_class_folder(tmp_path):
    from tests.conftest import need_shared
    src = need_shared("chest_xray", "train")
    import shutil
    for c in ("NORMAL", "PNEUMONIA"):
        (tmp_path / "data" / c).mkdir(parents=True)
        for f in sorted((src / c).glob("*.jpeg"))[:10]:
            shutil.copy(f, tmp_path / "data" / c / f.name)
    p = run("nets.evaluate", "chest", str(tmp_path / "data"), "--out", str(tmp_path / "ev"), "--no-progress")
    assert p.returncode == 0, p.stderr
    j = json.loads(p.stdout)
    assert j["n"] == 20 and set(j["per_class_recall"]) == {"NORMAL", "PNEUMONIA"}
    for k in ("accuracy", "balanced_accuracy", "auc", "sensitivity", "specificity", "confusion_matrix"):
        assert j[k] is not None, k
    assert j["balanced_accuracy"] >= 0.7
    from pathlib import Path
    assert Path(j["plots"]["confusion_matrix"]).exists() and Path(j["plots"]["roc"]).exists()


def test_train_mri_cli_prints_one_json_and_writes_a_card(tmp_path):
    """Smoke run of the MRI trainer on 3 subjects (1 epoch): stdout is one JSON document; split by subject."""
    need_shared("brain_t1")
    r = subprocess.run([sys.executable, "-m", "nets.train", "mri", "--limit", "4", "--epochs", "1", "--variants", "1",
                        "--out", str(tmp_path / "b.pt"), "--no-progress"], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout)
    card = json.loads(Path(res["card"]).read_text())
    assert card["sha256"] and card["training"]["mechanisms"] == ["push", "replace", "radial"]  # the committed recipe
    assert card["training"]["full_nuisance"] is True
    assert not set(card["split"]["train_subjects"]) & set(card["split"]["val_subjects"])
    assert "confusion_matrix" in res["metrics"]


def test_train_mri_fine_tune_records_where_it_started(tmp_path):
    """--init / --full-nuisance / --mechanisms: the card says which weights the run started from (sha256 and that
    stage's recipe), so a chain of stages can be reproduced (--no-final-eval: the other two runs cover the
    held-out evaluation)."""
    need_shared("brain_t1")
    from nets.training.model_card import sha256_file
    init = ROOT / "data" / "model_save" / "brain_atrophy_3dcnn.pt"
    r = subprocess.run([sys.executable, "-m", "nets.train", "mri", "--limit", "4", "--epochs", "1", "--variants", "1",
                        "--init", str(init), "--full-nuisance", "--mechanisms", "push,radial", "--anatomy-warp", "2",
                        "--no-final-eval", "--out", str(tmp_path / "f.pt"), "--no-progress"], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    t = json.loads(Path(json.loads(r.stdout)["card"]).read_text())["training"]
    assert t["full_nuisance"] is True and t["mechanisms"] == ["push", "radial"] and t["anatomy_warp_voxels"] == 2.0
    assert "warp of up to 2.0 voxels" in t["simulation"]
    assert t["init"]["sha256"] == sha256_file(init)
    assert t["init"]["training"]["mechanisms"] == ["push", "replace", "radial"]  # the committed stage's recipe
    card = json.loads(Path(json.loads(r.stdout)["card"]).read_text())
    committed = json.loads(init.with_name(init.stem + ".card.json").read_text())
    assert card["arch_kwargs"] == committed["arch_kwargs"]  # a fine-tune keeps the architecture of its weights
    assert "affine" in t["simulation"]


def test_train_mri_anti_aliased_network_and_refresh_its_card(tmp_path):
    """--stem blur --pool avg: the card records the architecture, the registry builds it from the card, and
    `nets.evaluate mri --update-card` rewrites the card's held-out evaluation (incl. the shift check) without
    touching the weights."""
    need_shared("brain_t1")
    from nets.training.model_card import sha256_file
    w = tmp_path / "aa.pt"
    r = subprocess.run([sys.executable, "-m", "nets.train", "mri", "--limit", "4", "--epochs", "1", "--variants", "1",
                        "--stem", "blur", "--pool", "avg", "--out", str(w), "--no-progress"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    cp = tmp_path / "aa.card.json"
    card = json.loads(cp.read_text())
    assert card["arch_kwargs"]["stem"] == "blur" and card["arch_kwargs"]["pool"] == "avg"
    card["metrics"]["validation"] = {"stale": True}
    cp.write_text(json.dumps(card))
    r = subprocess.run([sys.executable, "-m", "nets.evaluate", "mri", "--weights", str(w), "--update-card",
                        "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout)
    val = json.loads(cp.read_text())["metrics"]["validation"]
    assert "stale" not in val and val["real_brains_shifted"]["shifts"] == 8
    assert res["real_brains_shifted"] == val["real_brains_shifted"]
    assert set(val["by_generator"]) >= {"push", "replace", "radial", "evaluation_radial_generator"}
    from nets.simulation.acquisition_variants import ACQUISITION_VARIANTS
    acq = val["real_brains_acquisition"]
    assert set(acq["called_cn_by_variant"]) == set(ACQUISITION_VARIANTS) and 0 <= acq["called_cn"] <= 1
    assert set(acq["lowest_cn_probability"]) == set(val["real_brain_probabilities"])
    assert set(val["real_brains_warped"]["by_largest_displacement"]) == {"2 mm", "4 mm", "6 mm"}
    not_cn = {s for s, p in val["real_brain_probabilities"].items() if max(p) > p[0]}
    assert set(val["real_brains_not_cn_occlusion"]) == not_cn
    assert json.loads(cp.read_text())["sha256"] == sha256_file(w)


def test_occlusion_cli_on_demo_and_a_bad_file(tmp_path, demo_path):
    """Cubes that, made like the MNI152 template, most raise / lower the CN log-odds; the log-odds agree with the
    probabilities; a brain occluded with itself changes nowhere; a bad file is a JSON error."""
    p = run("nets.occlusion", str(demo_path), "--stride-mm", "24", "--top", "3", "--no-progress", "--out",
            str(tmp_path / "imgs"))
    assert p.returncode == 0, p.stderr
    j = json.loads(p.stdout)
    o = j["occlusion"]
    assert o["target"] == "CN"
    # cubes outside both brains change nothing: no forward for them; stride = window: no finer pass
    assert o["cubes"] == 6 * 8 * 6 and 1 < o["forwards"] < 6 * 8 * 6 and o["window_mm"] == 24 and o["stride_mm"] == 24
    up, down = [c["change"] for c in o["raise"]], [c["change"] for c in o["lower"]]
    assert len(up) == 3 and up == sorted(up, reverse=True) and down == sorted(down) and up[0] > down[0]
    assert all(len(c["mni_mm"]) == 3 and c["region"] and 0 <= c["ventricle_share"] <= 1 for c in o["raise"])
    assert (tmp_path / "imgs" / "img_occlusion") in Path(o["image"]).parents and Path(o["image"]).stat().st_size > 0
    from nets.predictor import Predictor
    pred = Predictor(imgs_root=tmp_path)
    r = pred.predict_file(demo_path, explain=False)
    # occlusion measures the network's own log-odds (logits, before the shown probabilities' temperature)
    z = np.asarray(r.logits, dtype=np.float64)
    pcn = np.exp(z - z.max())[r.classes.index("CN")] / np.exp(z - z.max()).sum()
    assert abs(o["log_odds"] - np.log(pcn / (1 - pcn))) < 0.01
    same = pred.occlusion(r, "AD", reference=demo_path, top=2, window=12, stride=24, full=True)
    assert same["target"] == "AD" and same["cubes"] == 3 * 4 * 3  # stride 24 voxels here
    assert all(c["change"] == 0 for c in same["raise"] + same["lower"])
    assert pred.occlusion(r, "AD", reference=demo_path, top=2, window=12, stride=24)["forwards"] == 1  # all known
    # another `top` reads the same run: no second occlusion, only a longer list
    more = pred.occlusion(r, "AD", reference=demo_path, top=4, window=12, stride=24, full=True)
    assert len(more["raise"]) == 4 and more["raise"][:2] == same["raise"] and more["image"] == same["image"]
    bad = tmp_path / "x.nii"
    bad.write_bytes(b"not a volume" * 40)
    p = run("nets.occlusion", str(bad), "--no-progress")
    assert p.returncode == 2 and json.loads(p.stderr.strip().splitlines()[-1])["error"]


def test_retention_removes_old_uploads_and_images_of_every_kind_and_keeps_recent_ones(tmp_path, monkeypatch):
    import os
    import time
    from gui import uploads
    monkeypatch.setattr(uploads, "UPLOAD_DIR", tmp_path / "nii")
    monkeypatch.setattr(uploads, "IMGS_DIR", tmp_path / "imgs")
    old, new = [], []
    for sub in ("nii/uploads", "nii/uploads_images", "imgs/img_raw", "imgs/img_hot", "imgs/img_merge",
                "imgs/img_occlusion", "imgs/montage"):
        for name, keep in (("old", False), ("new", True)):
            d = tmp_path / sub / name
            d.mkdir(parents=True)
            (d / "a.png").write_bytes(b"x")
            if not keep:
                os.utime(d, (time.time() - 25 * 3600,) * 2)
            (new if keep else old).append(d)
    assert uploads.clean_old() == len(old)
    assert not any(d.exists() for d in old) and all(d.exists() for d in new)
