"""The input gate as a person meets it: a portrait uploaded on the page is refused in plain words with an
"analyse anyway" button; using it gives an answer with the warning and the model's limits beside it. Plus the REST
API's status codes and messages for a refusal and a forced answer."""
import tempfile
from pathlib import Path

import matplotlib
import requests

from tests.test_e2e_browser import _click, _upload, _wait_for_result, _wait_for_text, browser  # noqa: F401

PORTRAIT = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


def _grey_portrait(tmp_path):
    from PIL import Image
    p = tmp_path / "portrait.png"
    Image.open(PORTRAIT).convert("L").save(p)
    return p


def test_page_refuses_a_portrait_offers_override_and_warns(server, browser, tmp_path):  # noqa: F811
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    _upload(page, server, _grey_portrait(tmp_path))
    _wait_for_text(page, "Which model", 30000)
    assert "neither a chest X-ray nor a dermoscopy photo" in page.inner_text("body")  # the modality check says so
    _click(page, page.locator("button[type=submit]:not([disabled])").last)
    _wait_for_text(page, "Not analysed", 60000)
    text = page.inner_text("#pywebio-scope-result")
    assert "does not look like a frontal chest X-ray" in text and "It was not classified" in text
    assert "Result:" not in text
    shots = Path(tempfile.mkdtemp(prefix="gate_e2e_"))
    page.screenshot(path=str(shots / "refusal.png"), full_page=True)
    page.get_by_role("button", name="analyse anyway").click()
    _wait_for_result(page, 120000)
    page.wait_for_timeout(800)
    text = page.inner_text("#pywebio-scope-result")
    assert "Result:" in text
    assert "Answered only because you asked (force)" in text
    assert "duplicated" not in page.inner_text("body")  # the second run's progress bar replaced the first one
    assert "Limits of this model" in text and "Children aged 1-5" in text
    assert "calibrated (temperature" in text
    page.screenshot(path=str(shots / "forced_answer.png"), full_page=True)
    print(f"screenshots in {shots}")
    page.get_by_role("button", name="analyse another").first.click()  # above and below the result
    page.get_by_role("button", name="use demo.nii").wait_for(timeout=30000)
    page.close()


def test_api_refusal_status_message_and_force(server, tmp_path):
    raw = _grey_portrait(tmp_path).read_bytes()
    r = requests.post(server + "/api/predict", files={"file": ("portrait.jpg", raw)}, data={"task": "skin"},
                      timeout=120)
    assert r.status_code == 422
    j = r.json()
    assert j["error"] == "not_dermoscopy" and j["can_force"] is True and j["task"] == "skin"
    assert "dermoscopy photo" in j["message"] and j["gate"]["level"] == "refuse"
    r = requests.post(server + "/api/predict", files={"file": ("portrait.jpg", raw)}, data={"task": "chest"},
                      timeout=120)
    assert r.status_code == 422 and r.json()["error"] == "not_a_chest_xray"
    r = requests.post(server + "/api/predict", files={"file": ("portrait.jpg", raw)},
                      data={"task": "skin", "force": "true"}, timeout=120)
    assert r.status_code == 200
    j = r.json()
    assert j["forced"] and any("force" in w for w in j["warnings"]) and j["scope"]["en"]
    assert set(j) >= {"uncertain", "runner_up", "headline", "temperature", "input_gate"}
