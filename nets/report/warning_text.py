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
     lambda m: f"对该模型来说这是不寻常的输入（{reasons_zh(m[1])}）：请谨慎看待结果。"),
    (r"Answered only because you asked \(force\): the input gate would have refused it \((.*)\)\. "
     r"Treat the answer as unreliable\.",
     lambda m: f"仅因您的要求而给出结果（强制）：输入检查本会拒绝它（{reasons_zh(m[1])}）。请视结果为不可靠。"),
    (r"No input gate is fitted for these weights: the (\w+) model answers whatever it is given .*",
     lambda m: f"这些权重没有配套的输入检查：{TASK_ZH.get(m[1], m[1])}模型会对任何输入给出结果。"),
    (r"No age was given and this brain looks about (\d+): healthy brains of that age often read as mild impairment "
     r"here\. Enter the person's age to grade atrophy against healthy people of that age\.",
     lambda m: f"未填写年龄，而这个大脑看起来约 {m[1]} 岁：这个年龄的健康大脑在这里常被判为轻度认知障碍。"
               "请填写此人的年龄，以便相对同龄健康人评估萎缩。"),
    (r"The image looks like a (chest X-ray|skin photo) but was analysed as (\w+)\.",
     lambda m: f"这张图像看起来像{TASK_ZH[m[1]]}，但按{TASK_ZH.get(m[2], m[2])}分析。"),
    (r"With the photo's outer edge painted over in the skin's colour, the answer changes from (\w+) to (\w+) "
     r"\(P\(\w+\) ([\d.]+) -> ([\d.]+)\): it leans on the edge of the photo \(such as the dermoscope's frame or dark "
     r"corners\), not only on the lesion\. Treat it with caution\.",
     lambda m: f"把照片外缘涂成皮肤颜色后，结果从 {m[1]} 变为 {m[2]}（P({m[1]}) {m[3]} -> {m[4]}）：它依赖照片边缘"
               "（如皮肤镜的边框或暗角），而不只是病灶。请谨慎看待结果。"),
]


# the input gates' reasons (nets/trust/input_gate.py, brain_contrast.py), joined by "; " inside a warning
REASONS_ZH = [
    (r"its features are far from the training images' \(score (\d+) > (\d+)\)",
     lambda m: f"其特征与训练图像相差很远（得分 {m[1]} > {m[2]}）"),
    (r"its features are unusual for the training images \(score (\d+) > (\d+)\)",
     lambda m: f"其特征与训练图像不同寻常（得分 {m[1]} > {m[2]}）"),
    (r"the image is only (\d+)x(\d+) pixels", lambda m: f"图像只有 {m[1]}x{m[2]} 像素"),
    (r"the image is small \((\d+)x(\d+) pixels\)", lambda m: f"图像较小（{m[1]}x{m[2]} 像素）"),
    (r"the image is a strip \(aspect ratio ([\d.]+):1\)", lambda m: f"图像是细长条（长宽比 {m[1]}:1）"),
    (r"unusual aspect ratio \(([\d.]+):1\)", lambda m: f"长宽比不寻常（{m[1]}:1）"),
    (r"the image is in colour \(colourfulness (\d+); radiographs are greyscale\)",
     lambda m: f"图像是彩色的（色彩度 {m[1]}；X 光片是灰度图）"),
    (r"the image has some colour \(colourfulness (\d+)\)", lambda m: f"图像带有一些颜色（色彩度 {m[1]}）"),
    (r"the image is \(nearly\) greyscale \(colourfulness (\d+)\)", lambda m: f"图像（几乎）是灰度图（色彩度 {m[1]}）"),
    (r"the image has little colour \(colourfulness (\d+)\)", lambda m: f"图像颜色很少（色彩度 {m[1]}）"),
    (r"weak (.+) \(([+-][\d.]+)\) for a T1 scan", lambda m: f"对 T1 扫描而言 {m[1]} 偏弱（{m[2]}）"),
    (r"the tissue contrast is not T1-like: (.*)", lambda m: f"组织对比不像 T1：{m[1]}"),
]


def reasons_zh(text: str) -> str:
    """Each "; "-separated gate reason in Chinese where its pattern is known, else as it is."""
    out = []
    for reason in text.split("; "):
        hit = next((zh(m) for pattern, zh in REASONS_ZH if (m := re.fullmatch(pattern, reason.strip()))), None)
        out.append(hit or reason)
    return "；".join(out)


def warning_text(message: str, lang: str) -> str:
    if lang != "zh":
        return message
    for pattern, zh in PATTERNS_ZH:
        m = re.fullmatch(pattern, message.strip())
        if m:
            return zh(m)
    return message
