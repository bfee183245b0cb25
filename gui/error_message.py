"""An input error on the page: its sentence in the page's language, the English detail below it when translated
(nets/report/error_text.py). Every place on the page that shows an InputError uses this."""
from pywebio import output as out

from nets.report.error_text import error_text


def put_error_message(lang: str, e, prefix: str = ""):
    head, detail = error_text(e.code, e.message, lang)
    out.put_error(prefix + head)
    if detail:  # the untranslated specifics (scores, sizes), folded so the page reads in its own language
        out.put_collapse(DETAIL_TITLE.get(lang, "Details"), [out.put_text(detail).style("color:#777; font-size: 0.9em")],
                         open=False)


DETAIL_TITLE = {"zh": "详细信息（英文）", "en": "Details"}
