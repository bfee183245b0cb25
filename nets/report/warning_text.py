"""The predictor's warnings (English, in every result's JSON) in the reader's language: known sentences are matched
by pattern; anything else is shown as it is."""
from __future__ import annotations

import re

TASK_ZH = {"chest": "胸部 X 光", "skin": "皮肤镜", "mri": "脑部 MRI", "chest X-ray": "胸部 X 光片", "skin photo": "皮肤照片"}
PATTERNS_ZH = [
    (r"Low similarity to a T1 brain template \(([\d.]+)\); the result may be unreliable\.",
     lambda m: f"与 T1 脑模板的相似度较低（{m[1]}）；结果可能不可靠。"),
    (r"This model has no trained weights yet: the classes below are meaningless\.",
     lambda m: "该模型尚无训练好的权重：下面的类别没有意义。"),
    (r"Unusual input for this model \((.*)\): treat the answer with caution\.",
     lambda m: f"对该模型来说这是不寻常的输入（{m[1]}）：请谨慎看待结果。"),
    (r"Answered only because you asked \(force\): the input gate would have refused it \((.*)\)\. "
     r"Treat the answer as unreliable\.",
     lambda m: f"仅因您的要求而给出结果（强制）：输入检查本会拒绝它（{m[1]}）。请视结果为不可靠。"),
    (r"No input gate is fitted for these weights: the (\w+) model answers whatever it is given .*",
     lambda m: f"这些权重没有配套的输入检查：{TASK_ZH.get(m[1], m[1])}模型会对任何输入给出结果。"),
    (r"The image looks like a (chest X-ray|skin photo) but was analysed as (\w+)\.",
     lambda m: f"这张图像看起来像{TASK_ZH[m[1]]}，但按{TASK_ZH.get(m[2], m[2])}分析。"),
]


def warning_text(message: str, lang: str) -> str:
    if lang != "zh":
        return message
    for pattern, zh in PATTERNS_ZH:
        m = re.fullmatch(pattern, message.strip())
        if m:
            return zh(m)
    return message
