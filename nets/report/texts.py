"""Words of the PDF report, English and Chinese."""
TEXT = {
    "title": {"en": "Explainable medical image recognition: report", "zh": "可解释的医学图像识别：报告"},
    "notice": {"en": "Research and teaching tool, NOT a medical device. Do not use it for diagnosis.",
               "zh": "仅供科研与教学使用，不是医疗器械，请勿用于诊断。"},
    "date": {"en": "Date (UTC)", "zh": "日期（UTC）"},
    "input": {"en": "Input", "zh": "输入"},
    "kind": {"en": "type", "zh": "类型"},
    "size": {"en": "size", "zh": "大小"},
    "answer": {"en": "Answer", "zh": "结果"},
    "probs": {"en": "Probabilities", "zh": "各类别概率"},
    "calibrated": {"en": "calibrated on validation data (temperature {t})", "zh": "已在验证数据上校准（温度 {t}）"},
    "calibrated_top": {"en": "calibrated on validation data (temperature {t}, then a top-label map)",
                       "zh": "已在验证数据上校准（温度 {t}，再加所答类别概率的映射）"},
    "warnings": {"en": "Warnings", "zh": "警告"},
    "images": {"en": "Key images: input | map | overlay", "zh": "关键图像：原图 | 解释图 | 叠加"},
    "explained": {"en": "Explained class: {c}", "zh": "被解释的类别：{c}"},
    "faithfulness": {"en": "How faithful the explanation is", "zh": "解释的可信程度"},
    "conservation": {"en": "relevance sum / model score: {r}", "zh": "相关性总和 / 模型得分：{r}"},
    "card": {"en": "Model card (summary)", "zh": "模型卡（摘要）"},
    "limits": {"en": "Limits", "zh": "局限"},
    "no_cjk": {"en": "(Chinese was asked for, but no Chinese font is installed on the server: this report is in "
                     "English.)", "zh": ""},
    "run": {"en": "run id", "zh": "运行编号"},
    # explanation methods (their codes stay English in the JSON: nets/interpret/attribution.METHOD_NAMES)
    "method_lrp": {"en": "LRP (layer-wise relevance propagation)", "zh": "LRP（逐层相关性传播）"},
    "method_grad-cam": {"en": "Grad-CAM", "zh": "Grad-CAM（梯度加权类激活图）"},
    "method_occlusion": {"en": "Occlusion", "zh": "遮挡分析"},
    # MRI planes (page headings and buttons, the montage's rows)
    "plane_axial": {"en": "axial", "zh": "轴位"},
    "plane_coronal": {"en": "coronal", "zh": "冠状位"},
    "plane_sagittal": {"en": "sagittal", "zh": "矢状位"},
}


def lookup(table: dict, key: str, lang: str, **kw) -> str:
    """table[key] in `lang` (English when that language has none; the key itself when unknown), formatted."""
    s = table.get(key, {}).get(lang) or table.get(key, {}).get("en") or key
    return s.format(**kw) if kw else s


def tr(key: str, lang: str, **kw) -> str:
    return lookup(TEXT, key, lang, **kw)
