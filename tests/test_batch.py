"""Folder mode (nets/batch.py): sequential vs a real Dask LocalCluster, --resume, the journal."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from nets.batch import BatchOptions, run_batch

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "readme_static" / "test"


def make_folder(d: Path) -> Path:
    """Two chest images, a skin photo and one bad file."""
    d.mkdir(parents=True, exist_ok=True)
    chest = Image.open(SAMPLES / "chest_RG1_UNCR.png")
    chest.save(d / "a_chest.png")
    ImageOps.mirror(chest).crop((8, 8, chest.width - 8, chest.height - 8)).save(d / "b_chest_flip.png")
    (d / "c_bad.png").write_bytes(b"this is not an image" * 20)
    Image.open(SAMPLES / "skin_synthetic_lesion.jpg").save(d / "d_skin.jpg")
    return d


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def same_answers(rows_a, rows_b):
    assert [r["file"] for r in rows_a] == [r["file"] for r in rows_b]
    for a, b in zip(rows_a, rows_b):
        assert (a["task"], a["model"], a["prediction"], a["error"]) == (b["task"], b["model"], b["prediction"],
                                                                          b["error"])
        if a["probability"]:
            assert abs(float(a["probability"]) - float(b["probability"])) < 1e-5


def test_local_cluster_gives_the_sequential_summary(tmp_path):
    from dask.distributed import Client, LocalCluster
    from nets.batch import worker_stats
    folder = make_folder(tmp_path / "in")
    seq = run_batch(folder, tmp_path / "seq", BatchOptions(explain=False))
    assert (seq["n"], seq["ok"], seq["failed"]) == (4, 3, 1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        p = subprocess.run([sys.executable, "-m", "nets.predict", str(folder), "--no-explain", "--out",
                            str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr
        stats = list(client.run(worker_stats).values())
    assert len(stats) == 2 and sum(s["files"] for s in stats) == 4
    assert all(s["predictors_built"] <= 1 for s in stats)  # models loaded once per worker, not per file
    out = json.loads(p.stdout)
    assert (out["n"], out["ok"], out["failed"]) == (4, 3, 1)
    same_answers(read_csv(tmp_path / "seq" / "summary.csv"), read_csv(tmp_path / "dask" / "summary" / "summary.csv"))
    js = json.loads((tmp_path / "dask" / "summary" / "summary.json").read_text())
    assert [r["file"] for r in js] == ["a_chest.png", "b_chest_flip.png", "c_bad.png", "d_skin.jpg"]
    assert js[2]["error"] == "unsupported_format" and js[0]["prediction"] in ("NORMAL", "PNEUMONIA")
    assert len((tmp_path / "dask" / "summary" / "summary.jsonl").read_text().splitlines()) == 4


def test_resume_skips_done_files_and_retries_crashes(tmp_path):
    from nets import batch
    folder = make_folder(tmp_path / "in")
    extra = folder / "d_skin.jpg"
    extra.rename(tmp_path / "later.jpg")
    first = run_batch(folder, tmp_path / "o", BatchOptions(explain=False))
    assert first["n"] == 3
    (tmp_path / "later.jpg").rename(folder / "e_skin_later.jpg")
    # a crash record in the journal: not the file's fault, so --resume runs that file again
    with open(tmp_path / "o" / "summary.jsonl", "a") as f:
        f.write(json.dumps({"file": "a_chest.png", "error": "internal_error", "message": "boom"}) + "\n")
    before = batch.worker_stats()["files"]
    again = run_batch(folder, tmp_path / "o", BatchOptions(explain=False), resume=True)
    assert batch.worker_stats()["files"] - before == 2  # a_chest.png (crash) and the new file, nothing else
    assert again["skipped_done"] == 2 and (again["n"], again["ok"], again["failed"]) == (4, 3, 1)
    ids = {r["file"]: r.get("run_id") for r in first["results"]}
    by_file = {r["file"]: r for r in again["results"]}
    assert by_file["b_chest_flip.png"]["run_id"] == ids["b_chest_flip.png"]  # kept, not recomputed
    assert by_file["a_chest.png"]["run_id"] != ids["a_chest.png"]
    assert [r["file"] for r in read_csv(tmp_path / "o" / "summary.csv")] == \
        ["a_chest.png", "b_chest_flip.png", "c_bad.png", "e_skin_later.jpg"]


def test_results_are_on_disk_before_the_run_ends(tmp_path, monkeypatch):
    """A run killed half-way keeps what it finished (journal + in-order CSV); --resume completes it."""
    from nets import batch
    folder = make_folder(tmp_path / "in")
    real = batch.predict_record

    def dies_on_third(path, opts):
        if Path(path).name == "c_bad.png":
            raise KeyboardInterrupt
        return real(path, opts)

    monkeypatch.setattr(batch, "predict_record", dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        run_batch(folder, tmp_path / "o", BatchOptions(explain=False))
    journal = [json.loads(x) for x in (tmp_path / "o" / "summary.jsonl").read_text().splitlines()]
    assert [r["file"] for r in journal] == ["a_chest.png", "b_chest_flip.png"]
    assert [r["file"] for r in read_csv(tmp_path / "o" / "summary.csv")] == ["a_chest.png", "b_chest_flip.png"]
    monkeypatch.setattr(batch, "predict_record", real)
    done = run_batch(folder, tmp_path / "o", BatchOptions(explain=False), resume=True)
    assert done["skipped_done"] == 2 and done["n"] == 4 and done["failed"] == 1


def test_answer_only_2d_result_can_still_be_explained(tmp_path):
    """--no-explain skips the display image; explaining the result later draws it then."""
    from nets.predictor import Predictor
    p = Predictor(imgs_root=tmp_path)
    r = p.predict_file(SAMPLES / "chest_RG1_UNCR.png", explain=False)
    assert r.images == {} and r.handles.model_input.display is None
    e = p.explain_class(r, "NORMAL")
    assert Path(e.images["merged"][0]).exists() and e.to_json()["explained_class"] == "NORMAL"
