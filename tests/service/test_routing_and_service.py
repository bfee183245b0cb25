"""nets/service/: routing decided once from the bytes, the name and the caller's wishes; the service stores and logs
page / API uploads (into temporary folders here), passes the subject's age through, and turns a bug into
InternalError with an internal_error log line. Tiny synthetic inputs, no model runs."""
import io
import json
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from nets import service
from nets.errors import EmptyFileError, InputError, ModelUnavailableError, UnsupportedFormatError
from nets.io import routing
from nets.service.compute_lanes import lane_for


def png(colour: bool) -> bytes:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    if not colour:
        a[..., 1] = a[..., 2] = a[..., 0]
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "PNG")
    return buf.getvalue()


def test_images_go_to_chest_or_skin_by_colour_and_stay_automatic():
    grey, colour = routing.route(png(False), "a.png"), routing.route(png(True), "b.png")
    assert (grey.task, grey.kind, grey.auto, lane_for(grey.task).name) == ("chest", "png", True, "2d")
    assert (colour.task, colour.detected) == ("skin", "skin")
    chosen = colour.chosen("chest")
    assert chosen.task == "chest" and not chosen.auto and chosen.image is colour.image  # decoded once
    with pytest.raises(InputError):
        colour.chosen("mri")
    # a model of one task never runs another task's route: picking chest drops the skin model
    skin = routing.route(png(True), "b.png", model="skin-isic-resnet")
    assert skin.chosen("chest").model is None and skin.chosen("skin").model == "skin-isic-resnet"
    with pytest.raises(InputError, match="is a skin model"):
        skin.chosen("chest", "skin-isic-resnet")
    with pytest.raises(InputError, match="is a skin model"):
        routing.route(png(True), "x.png", task="chest", model="skin-isic-resnet")


def test_the_name_the_model_and_the_task_decide_before_the_bytes():
    with pytest.raises(UnsupportedFormatError, match="JPEG/PNG"):
        routing.route(png(False), "renamed.nii")  # a .nii name means a volume: the NIfTI error, not a photo model
    assert routing.route(png(False), "x.png", model="skin-isic-resnet").task == "skin"
    assert routing.route(png(True), "x.png", task="chest").auto is False
    with pytest.raises(ModelUnavailableError):
        routing.route(png(False), "x.png", model="no-such-model")
    with pytest.raises(InputError, match="task must be one of"):
        routing.route(png(False), "x.png", task="brain")
    with pytest.raises(EmptyFileError):
        routing.route(b"", "x.png")
    with pytest.raises(UnsupportedFormatError):
        routing.route(b"hello world" * 50, "x.txt")


@pytest.fixture
def store(tmp_path, monkeypatch):
    from nets.service import upload_store, visit_log
    monkeypatch.setattr(upload_store, "UPLOAD_DIR", tmp_path / "nii")
    monkeypatch.setattr(upload_store, "IMGS_DIR", tmp_path / "imgs")
    monkeypatch.setattr(upload_store, "CHECK_EVERY_S", 10**9)
    monkeypatch.setattr(visit_log, "LOG_DIR", tmp_path / "logs")

    def lines():
        return [json.loads(x) for f in (tmp_path / "logs").glob("*.jsonl") for x in f.read_text().splitlines()]
    return tmp_path, lines


def test_a_page_upload_is_stored_and_logged_and_a_bad_one_is_only_logged(store):
    tmp, lines = store
    page = service.Caller("page", "predict", "s1", "1.2.3.4", "ua")
    where = service.prepare(png(False), "x.png", caller=page)
    assert where.task == "chest" and len(list((tmp / "nii" / "uploads_images").iterdir())) == 1
    with pytest.raises(UnsupportedFormatError):
        service.prepare(b"not an image" * 40, "y.png", caller=page)
    assert [(r["action"], r.get("error")) for r in lines()] == [("upload", None), ("predict", "unsupported_format")]
    service.prepare(png(False), "x.png")  # the CLI: nothing stored, nothing logged
    assert len(list((tmp / "nii" / "uploads_images").iterdir())) == 1 and len(lines()) == 2


class FakePredictor:
    def __init__(self, fail=False):
        self.fail = fail

    def predict_routed(self, raw, where, **kw):
        if self.fail:
            raise RuntimeError("planted")
        extras = {"got_age": kw.get("age")}
        return SimpleNamespace(extras=extras, to_json=lambda: {
            "task": where.task, "input": {"kind": where.kind}, "prediction": "NORMAL", "timings_s": {}, **extras})


def test_the_age_goes_to_mri_only_and_a_bug_becomes_an_internal_error(store):
    _, lines = store
    api = service.Caller("api", "api_predict", "api")
    res = service.analyse(png(False), "x.png", age=71, caller=api, predictor=FakePredictor(), in_lane=False)
    assert res.to_json()["got_age"] is None  # an X-ray has no brain age: the field is not passed on
    from nets.io.routing import Route
    mri = service.compute(b"", Route("mri", None, "nifti", False), predictor=FakePredictor(), age=71)
    assert mri.to_json()["got_age"] == 71
    with pytest.raises(service.InternalError) as e:
        service.analyse(png(False), "x.png", caller=api, predictor=FakePredictor(fail=True), in_lane=False)
    assert e.value.cause == "RuntimeError" and e.value.code == "internal_error"
    got = [(r["action"], r.get("prediction"), r.get("error")) for r in lines()]
    assert got == [("upload", None, None), ("api_predict", "NORMAL", None), ("upload", None, None),
                   ("api_predict", None, "internal_error")]
