"""Feedback (nets/feedback/store.py, gui/feedback_control.py, POST /api/feedback): one click stores exactly one line
and one input file named by its sha256, a label that is not a class is refused, the size bound holds."""
import hashlib
import json
from pathlib import Path

import pytest
import requests

from nets.feedback.store import (BadLabelError, FeedbackFullError, feedback_summary, read_feedback,
                                 record_feedback)
from tests.conftest import ROOT, SERVER_FEEDBACK_DIRS

PNG = ROOT / "readme_static" / "test" / "chest_RG1_UNCR.png"
CHEST = ("NORMAL", "PNEUMONIA")


def _record(root, raw, label, **kw):
    return record_feedback(raw, run_id="r1", task="chest", model="chest-xray-resnet", prediction="PNEUMONIA",
                           label=label, classes=CHEST, root=root, **kw)


def _stored(root):
    lines = (root / "feedback.jsonl").read_text().splitlines() if (root / "feedback.jsonl").exists() else []
    files = sorted(p.name for p in (root / "inputs").iterdir()) if (root / "inputs").is_dir() else []
    return lines, files


def test_one_feedback_is_one_line_and_one_file_named_by_content(tmp_path):
    raw = PNG.read_bytes()
    line = _record(tmp_path, raw, "normal")
    lines, files = _stored(tmp_path)
    assert len(lines) == 1 and files == [hashlib.sha256(raw).hexdigest() + ".png"]
    j = json.loads(lines[0])
    assert (j["label"], j["prediction"], j["agrees"], j["run_id"], j["task"]) == ("NORMAL", "PNEUMONIA", False,
                                                                                   "r1", "chest")
    assert j == line and "chest_RG1" not in lines[0]  # never the user's file name
    _record(tmp_path, raw, "PNEUMONIA")  # the same input again: one more line, the file is kept once
    assert [len(x) for x in _stored(tmp_path)] == [2, 1]
    rows = read_feedback(tmp_path, "chest")
    assert [r["label"] for r in rows] == ["NORMAL", "PNEUMONIA"] and Path(rows[0]["path"]).read_bytes() == raw
    assert feedback_summary(tmp_path)["per_task"] == {"chest": {"feedback": 2, "corrections": 1}}


def test_a_label_that_is_not_a_class_is_refused_and_nothing_stored(tmp_path):
    with pytest.raises(BadLabelError, match="NORMAL, PNEUMONIA"):
        _record(tmp_path, PNG.read_bytes(), "COVID")
    assert _stored(tmp_path) == ([], [])


def test_the_size_bound_holds(tmp_path):
    raw = PNG.read_bytes()
    limit = len(raw) + 1000  # room for one input and a few lines
    _record(tmp_path, raw, "NORMAL", limit_bytes=limit)
    with pytest.raises(FeedbackFullError, match="full"):
        _record(tmp_path, raw[:-10] + b"0123456789", "NORMAL", limit_bytes=limit)  # another input: too much
    lines, files = _stored(tmp_path)
    assert len(lines) == 1 and len(files) == 1
    assert sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file()) <= limit


def test_rest_api_feedback(server):
    root = SERVER_FEEDBACK_DIRS[server]
    before = _stored(root)
    bad = requests.post(server + "/api/feedback", files={"file": PNG.read_bytes()},
                        data={"task": "chest", "label": "COVID"}, timeout=120)
    assert bad.status_code == 422 and bad.json()["error"] == "bad_label"
    assert _stored(root) == before
    skin = ROOT / "readme_static" / "test" / "skin_synthetic_lesion.jpg"  # not the browser test's input
    r = requests.post(server + "/api/feedback", files={"file": skin.read_bytes()},
                      data={"task": "skin", "label": "nv", "run_id": "abc123"}, timeout=120)
    assert r.status_code == 200, r.text
    fb = r.json()["feedback"]
    assert (fb["label"], fb["run_id"], fb["source"], fb["task"]) == ("NV", "abc123", "api", "skin")
    assert len(_stored(root)[0]) == len(before[0]) + 1


def test_a_click_in_the_browser_stores_exactly_one_line_and_one_file(server):
    from tests.test_e2e_browser import CHROMIUM, ARGS, _click
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed")
    pw = pytest.importorskip("playwright.sync_api")
    lines0, files0 = _stored(SERVER_FEEDBACK_DIRS[server])
    project = _stored(ROOT / "feedback")
    with pw.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = b.new_page(viewport={"width": 1200, "height": 900})
        page.goto(server)
        _click(page, page.get_by_role("button", name="chest X-ray example"))
        page.get_by_text("Is this answer right?").wait_for(timeout=120000)
        assert _stored(SERVER_FEEDBACK_DIRS[server]) == (lines0, files0)  # nothing stored without the click
        page.get_by_role("button", name="this answer is right").click()
        page.get_by_text("Thank you: kept as").wait_for(timeout=30000)
        b.close()
    lines, files = _stored(SERVER_FEEDBACK_DIRS[server])
    assert len(lines) == len(lines0) + 1
    assert sorted(set(files) - set(files0)) == [hashlib.sha256(PNG.read_bytes()).hexdigest() + ".png"]
    assert len(files) == len(files0) + 1
    j = json.loads(lines[-1])
    assert (j["source"], j["task"], j["agrees"], j["label"]) == ("page", "chest", True, j["prediction"])
    assert _stored(ROOT / "feedback") == project  # the project's own feedback/ is not touched by tests


def test_feedback_errors_use_the_predict_statuses():
    """The feedback endpoint answers a too-large file 413 like /api/predict (it answered 422), its own full store 507."""
    from gui.feedback_api import FeedbackHandler
    from gui.server import PredictHandler
    from nets.errors import CorruptFileError, FileTooLargeError, InputError
    fb, pr = object.__new__(FeedbackHandler), object.__new__(PredictHandler)
    full = InputError("full")
    full.code = "feedback_full"
    assert [fb.status_for(e) for e in (FileTooLargeError("x"), CorruptFileError("x"), full)] == [413, 422, 507]
    assert [pr.status_for(e) for e in (FileTooLargeError("x"), CorruptFileError("x"))] == [413, 422]
