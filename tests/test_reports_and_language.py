"""Reports (PDF, JSON without server paths, CLI --report), Chinese text in server-drawn figures, complete en/zh."""
import datetime
import json
import subprocess
import sys

import pytest

from nets.render.cjk_font import cjk_font_path, missing_glyphs
from tests.conftest import ROOT

CHEST = ROOT / "readme_static" / "test" / "chest_RG1_UNCR.png"
NOTICE = {"en": "NOT a medical device", "zh": "不是医疗器械"}


def _pdf_text(data: bytes) -> str:
    import io
    from pypdf import PdfReader
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture(scope="module")
def chest_result(predictor):
    return predictor.predict_file(CHEST)


def _texts_and_fonts(fig):
    import io
    import matplotlib.text
    from matplotlib import font_manager
    fig.savefig(io.BytesIO(), format="png")  # lays the figure out (tick labels exist after drawing)
    return [(t.get_text(), font_manager.findfont(t.get_fontproperties())) for t in fig.findobj(matplotlib.text.Text)
            if t.get_text().strip()]


def test_chinese_chart_is_drawn_with_a_font_that_has_every_glyph():
    if cjk_font_path() is None:
        pytest.skip("no CJK font installed (Debian fonts-wqy-microhei)")
    from nets.model_configs import CONFIGS
    from nets.render.probability_chart import chart_figure
    fig = chart_figure({"CN": 0.7, "EMCI": 0.1, "MCI": 0.1, "LMCI": 0.05, "AD": 0.05}, "zh",
                       CONFIGS["brain-atrophy-3dcnn"].class_names)
    drawn = _texts_and_fonts(fig)
    assert any("认知正常" in s for s, _ in drawn) and any(s == "概率" for s, _ in drawn)
    for s, font in drawn:
        assert missing_glyphs(s, font) == "", (s, font)


def test_the_glyph_check_catches_a_latin_only_font():
    """The check above can fail: DejaVu Sans (matplotlib's default) has no Chinese glyphs."""
    from matplotlib import font_manager
    dejavu = font_manager.findfont("DejaVu Sans")
    assert set(missing_glyphs("概率 CN", dejavu)) == set("概率")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pdf_report_has_the_answer_notice_sha_and_no_path(chest_result, lang):
    from nets.report.pdf_report import result_pdf
    data = result_pdf(chest_result, lang)
    assert data[:5] == b"%PDF-"
    text = _pdf_text(data)
    j = chest_result.to_json()
    want = lang if lang == "en" or cjk_font_path() else "en"  # no CJK font: English, with a note
    assert j["prediction"] in text and j["prediction_name"][want] in text
    assert NOTICE[want] in text.replace("\n", " ")
    assert j["input"]["sha256"] in text.replace("\n", "")
    assert str(ROOT) not in text and "/imgs/" not in text and CHEST.name not in text
    # the faithfulness check in the report's words, not raw keys; the date; the model card summary
    from nets.report.faithfulness_text import faithfulness_sentence
    e = next(e for e in j["explanations"] if e.get("faithfulness"))
    sentence = faithfulness_sentence(e["faithfulness"], e["target"], False, want)[1]
    flat = "".join(text.split())
    assert "".join(sentence.split())[:25] in flat and "deletion_auc" not in text
    assert datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d") in text
    assert {"en": "Model card", "zh": "模型卡"}[want] in text


def test_json_report_has_no_server_paths(chest_result):
    from nets.report.public_json import public_report
    j = chest_result.to_json()
    assert any(str(v).startswith("/") for v in j["images"].values() if isinstance(v, str))  # the raw JSON has them
    text = json.dumps(public_report(j))
    assert str(ROOT) not in text and '"/' not in text
    montage = public_report(j)["images"]["montage"]
    assert montage.startswith(chest_result.run_id) and "/" not in montage


def test_cli_writes_a_pdf_report(tmp_path):
    out = tmp_path / "r.pdf"
    p = subprocess.run([sys.executable, "-m", "nets.predict", str(CHEST), "--out", str(tmp_path / "imgs"),
                        "--report", str(out), "--lang", "zh"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    j = json.loads(p.stdout)
    text = _pdf_text(out.read_bytes())
    assert j["prediction"] in text and j["input"]["sha256"] in text.replace("\n", "")


def test_every_page_string_and_model_card_field_exists_in_both_languages():
    from gui.i18n import TEXT
    from nets.report.model_card_text import PLAIN, ROW_LABELS, WORDS
    from nets.report.texts import TEXT as REPORT
    from nets.report.faithfulness_text import TEXT as FAITH
    from nets.model_configs import CONFIGS
    from nets.report.model_card_text import NOTICE_ZH
    for table in (TEXT, ROW_LABELS, WORDS, REPORT, FAITH):
        for key, v in table.items():
            assert v.get("en") and (v.get("zh") or key == "no_cjk"), key
    for model, fields in PLAIN.items():
        for key, v in fields.items():
            assert v.get("en") and v.get("zh"), (model, key)
    # every shipped model, the comparison architectures included, has its card and notice in Chinese
    assert set(CONFIGS) <= set(PLAIN), set(CONFIGS) - set(PLAIN)
    assert {n for n, c in CONFIGS.items() if c.notice} <= set(NOTICE_ZH)


def test_model_card_rows_are_plain_words():
    from nets.registry import REGISTRY
    from nets.report.model_card_text import card_rows
    for task in ("mri", "chest", "skin"):
        s = REGISTRY.get(task=task).summary()
        for lang in ("en", "zh"):
            rows = card_rows(s, lang)
            text = " ".join(v for _, v in rows)
            assert "{" not in text and "True" not in text and "log-odds" not in text
            assert rows[-1][1] == (s["sha256"] or "-")  # the fingerprint last, only in the card


def test_region_names_in_chinese():
    from nets.report.region_names import region_name
    assert region_name("Hippocampus_L", "zh") == "左海马"
    assert region_name("Cerebelum_Crus1_R", "zh") == "右小脑 脚1 区"
    assert region_name("Hippocampus_L", "en") == "Hippocampus_L"
    assert region_name("Some_Unknown", "zh") == "Some_Unknown"


def test_batch_zip_expansion_keeps_good_members_and_reports_a_bad_zip():
    import io
    import zipfile
    from gui.batch_page import expand
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a/x.png", b"png")
        z.writestr("notes.txt", b"skip me")
    items = expand([{"filename": "set.zip", "content": buf.getvalue()},
                    {"filename": "broken.zip", "content": b"not a zip"},
                    {"filename": "y.jpg", "content": b"jpg"}])
    assert items == [("x.png", b"png"), ("notes.txt", "batch_not_input"), ("broken.zip", "batch_empty"),
                     ("y.jpg", b"jpg")]


def test_batch_past_the_file_limit_lists_the_rest_with_a_reason():
    from gui.batch_page import MAX_FILES, expand
    from gui.i18n import t
    items = expand([{"filename": f"{k}.png", "content": b"png"} for k in range(MAX_FILES + 3)])
    assert len(items) == MAX_FILES + 3
    assert all(raw == b"png" for _, raw in items[:MAX_FILES])
    assert [raw for _, raw in items[MAX_FILES:]] == ["batch_over_limit"] * 3
    assert str(MAX_FILES) in t("batch_over_limit", "zh", n=MAX_FILES)


def test_known_warnings_in_chinese():
    from nets.report.warning_text import warning_text
    w = "The image looks like a chest X-ray but was analysed as skin."
    assert warning_text(w, "en") == w
    assert warning_text(w, "zh") == "这张图像看起来像胸部 X 光片，但按皮肤镜分析。"
    assert warning_text("Low similarity to a T1 brain template (0.52); the result may be unreliable.", "zh") == \
        "与 T1 脑模板的相似度较低（0.52）；结果可能不可靠。"
    assert warning_text("Something new.", "zh") == "Something new."


def test_every_input_error_code_has_a_chinese_sentence():
    import nets.errors as errors
    from nets.report.error_text import ERRORS_ZH, error_text
    codes = {c.code for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.InputError)}
    assert codes <= set(ERRORS_ZH), codes - set(ERRORS_ZH)
    assert error_text("empty_file", "The file is empty.", "zh") == ("文件是空的。", "The file is empty.")
    assert error_text("empty_file", "The file is empty.", "en") == ("The file is empty.", "")


def test_gate_reasons_inside_warnings_read_in_chinese():
    from nets.report.warning_text import warning_text
    w = ("Unusual input for this model (its features are unusual for the training images (score 943 > 392); "
         "the image has some colour (colourfulness 12)): treat the answer with caution.")
    zh = warning_text(w, "zh")
    assert zh == "对该模型来说这是不寻常的输入（其特征与训练图像不同寻常（得分 943 > 392）；图像带有一些颜色（色彩度 12））：请谨慎看待结果。"
    assert "features" not in zh and warning_text(w, "en") == w


def test_a_model_with_a_decision_threshold_states_it_instead_of_a_brain_prior(monkeypatch):
    """The chest card folds a decision threshold into the weights (decision_prior): the page must say "threshold",
    not the MRI sentence about brain scans and disease stages."""
    from types import SimpleNamespace
    import gui.app as app
    shown = []
    monkeypatch.setattr(app.out, "put_info", lambda text: shown.append(text))
    ctx = SimpleNamespace(lang="zh")
    chest = SimpleNamespace(card={"decision_threshold": {"class": "PNEUMONIA", "threshold": 0.236,
                                                         "target_sensitivity": 0.95}})
    app.put_operating_point(ctx, chest, {"decision_prior": {"NORMAL": 0.236, "PNEUMONIA": 0.764}})
    assert len(shown) == 1 and "24%" in shown[0] and "脑" not in shown[0]
    mri = SimpleNamespace(card={})
    app.put_operating_point(ctx, mri, {"decision_prior": {"CN": 0.36, "AD": 0.16}})
    assert "脑扫描" in shown[1]


def test_batch_zip_holds_one_pdf_per_answered_file_in_the_page_language(chest_result, monkeypatch):
    import io
    import zipfile
    from types import SimpleNamespace
    import gui.batch_page as batch_page
    sent = {}
    monkeypatch.setattr(batch_page.out, "toast", lambda *a, **k: None)
    monkeypatch.setattr(batch_page.session, "download", lambda name, data: sent.update({name: data}))
    ctx = SimpleNamespace(lang="zh", batch=[("a.png", chest_result, None), ("bad.png", None, "batch_empty"),
                                            ("b.scan.png", chest_result, None)])
    batch_page.download_zip(ctx)
    with zipfile.ZipFile(io.BytesIO(sent["reports.zip"])) as z:
        names = z.namelist()
        assert names == ["01_a.pdf", "03_b.scan.pdf"], names  # numbered as in the table; no PDF for the bad file
        text = _pdf_text(z.read(names[0]))
    want = "zh" if cjk_font_path() else "en"
    assert NOTICE[want] in text.replace("\n", " ")


def test_a_zip_from_macos_lists_the_users_files_only():
    """__MACOSX/._x resource forks and .DS_Store are the archiver's, not the user's: left out, not 'failed'."""
    import io
    import zipfile
    from gui.batch_page import expand
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("scans/chest.png", b"\x89PNG fake")
        z.writestr("__MACOSX/scans/._chest.png", b"\0\5\26\7 resource fork")
        z.writestr("scans/.DS_Store", b"Bud1")
        z.writestr("scans/notes.txt", b"my notes")
    items = expand([{"filename": "batch.zip", "content": buf.getvalue()}])
    assert items == [("chest.png", b"\x89PNG fake"), ("notes.txt", "batch_not_input")]


@pytest.mark.parametrize("task,fill_en,fill_zh", [("chest", "mid-grey", "中灰色"), ("skin", "average skin tone", "平均肤色")])
def test_the_occlusion_text_says_what_this_tasks_squares_are_filled_with(task, fill_en, fill_zh):
    """2D occlusion fills a square with the model's normalisation mean: grey on a film, a skin tone on a photo."""
    from types import SimpleNamespace
    from gui.explanation_sections import _how_key
    from gui.i18n import t
    key = _how_key(SimpleNamespace(is_volume=False, task=task), "occlusion")
    assert fill_en in t(key, "en", c="X") and fill_zh in t(key, "zh", c="X")
    other = {"chest": "skin tone", "skin": "grey"}[task]
    assert other not in t(key, "en", c="X")
