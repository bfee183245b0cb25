"""The model card in plain words, English and Chinese, for the page's collapsed card and the PDF report.

The machine-readable card (data/model_save/*.card.json) stays the source of the numbers; this module only words
them. Models without an entry here (your own weights) fall back to the config's English fields.
"""
from __future__ import annotations

PLAIN = {
    "brain-atrophy-3dcnn": {
        "what": {"en": "Grades how far a brain MRI looks like simulated Alzheimer-type shrinkage, in 5 steps "
                       "(CN, EMCI, MCI, LMCI, AD).",
                 "zh": "按 5 个等级（CN、EMCI、MCI、LMCI、AD）评估脑部 MRI 与模拟的阿尔茨海默型萎缩的相似程度。"},
        "data": {"en": "Brains of 75 adults aged 20-82 without dementia (OpenNeuro ds002748 and IXI) plus two "
                       "templates, with shrinkage added by computer. It has never seen a patient.",
                 "zh": "75 名 20-82 岁无痴呆成人的脑扫描（OpenNeuro ds002748 和 IXI）以及两个模板，萎缩由计算机模拟添加。"
                       "模型从未见过真实患者。"},
        "limits": {"en": "Only for teaching: it reads enlarged ventricles and a smaller medial temporal lobe, does "
                         "not take the person's age into account, and was never checked on patients.",
                   "zh": "仅用于教学：它只看脑室扩大和内侧颞叶缩小，不考虑受检者的年龄，也从未在患者身上验证。"},
        "explanation": {"en": "Layer-wise relevance propagation (LRP): each voxel gets a share of the answer; red "
                              "voxels pushed towards the explained class, blue ones away from it.",
                        "zh": "逐层相关性传播（LRP）：每个体素分得结果的一部分；红色体素把结果推向被解释的类别，蓝色体素则相反。"},
        "input": {"en": "A 3D T1 brain MRI (.nii / .nii.gz), aligned automatically to a standard brain at 2 mm.",
                  "zh": "三维 T1 脑部 MRI（.nii / .nii.gz），自动对齐到 2 mm 的标准脑空间。"},
        "licence": {"en": "Data CC0 (ds002748) and CC BY-SA 3.0 (IXI); Colin27 / MNI152 template licences.",
                    "zh": "数据 CC0（ds002748）和 CC BY-SA 3.0（IXI）；Colin27 / MNI152 模板按其许可。"},
    },
    "adni-seed-3dcnn": {
        "what": {"en": "The older app's Alzheimer's model (AD, CN, MCI, EMCI, LMCI), run unchanged.",
                 "zh": "旧版应用的阿尔茨海默病模型（AD、CN、MCI、EMCI、LMCI），原样运行。"},
        "data": {"en": "ADNI scans held by the older app's authors; we do not hold them.",
                 "zh": "旧版作者持有的 ADNI 扫描；我们没有这些数据。"},
        "limits": {"en": "Not checked by us; needs raw ADNI-style volumes of 160x256x256 voxels.",
                   "zh": "未经我们验证；需要 160x256x256 体素的原始 ADNI 格式数据。"},
        "explanation": {"en": "Layer-wise relevance propagation (LRP), as for the default brain model.",
                        "zh": "逐层相关性传播（LRP），与默认脑模型相同。"},
        "input": {"en": "A raw ADNI-style MRI volume (no alignment).", "zh": "原始 ADNI 格式 MRI（不做对齐）。"},
        "licence": {"en": "MIT (c) 2023 bytesc (weights).", "zh": "MIT (c) 2023 bytesc（权重）。"},
    },
    "chest-xray-resnet": {
        "what": {"en": "Tells a normal chest X-ray from one with pneumonia.",
                 "zh": "区分正常胸片与肺炎胸片。"},
        "data": {"en": "About 5,200 chest X-rays of children (Kermany et al. 2018), checked on other patients.",
                 "zh": "约 5200 张儿童胸部 X 光片（Kermany 等，2018），在其他患者的片子上检验。"},
        "limits": {"en": "Trained on children's X-rays from one hospital; adults and other scanners may be read "
                         "less well.",
                   "zh": "训练数据来自一家医院的儿童胸片；成人或其他设备的片子可能判断较差。"},
        "explanation": {"en": "Grad-CAM: a coarse map of where the network looked for its answer (yellow: most).",
                        "zh": "Grad-CAM：网络作答时关注位置的粗略图（黄色最强）。"},
        "licence": {"en": "CC BY 4.0.", "zh": "CC BY 4.0。"},
    },
    "skin-isic-resnet": {
        "what": {"en": "Sorts a dermoscopy photo of one skin lesion into 8 kinds (e.g. melanoma, nevus).",
                 "zh": "将单个皮肤病变的皮肤镜照片分为 8 类（如黑色素瘤、痣）。"},
        "data": {"en": "About 9,000 dermoscopy photos from the ISIC archive and HAM10000, checked on other lesions.",
                 "zh": "约 9000 张来自 ISIC 档案和 HAM10000 的皮肤镜照片，在其他病变上检验。"},
        "limits": {"en": "A small model with few photos of the rare kinds: it often confuses several kinds; only "
                         "dermoscopy photos of one lesion make sense.",
                   "zh": "小模型，少见类别的照片很少：多个类别之间常混淆；只适用于单个病变的皮肤镜照片。"},
        "explanation": {"en": "Grad-CAM: a coarse map of where the network looked for its answer (yellow: most).",
                        "zh": "Grad-CAM：网络作答时关注位置的粗略图（黄色最强）。"},
        "licence": {"en": "CC BY-NC 4.0 / CC BY-NC-SA 4.0: non-commercial use only.",
                    "zh": "CC BY-NC 4.0 / CC BY-NC-SA 4.0：仅限非商业用途。"},
    },
}


# what the 2D models take, with the side length each model's input contract resizes to
IMAGE_INPUT = {"chest": {"en": "A frontal chest X-ray (.jpg, .png or .dcm), resized to {n}x{n} grey pixels.",
                         "zh": "正位胸部 X 光片（.jpg、.png 或 .dcm），缩放为 {n}x{n} 灰度像素。"},
               "skin": {"en": "A colour dermoscopy photo (.jpg or .png), resized to {n}x{n} pixels.",
                        "zh": "彩色皮肤镜照片（.jpg 或 .png），缩放为 {n}x{n} 像素。"}}
CONVNEXT_EXPLANATION = {"en": "Grad-CAM on the last ConvNeXt stage (yellow: where it looked most); occlusion on demand.",
                        "zh": "ConvNeXt 最后一层的 Grad-CAM（黄色：最关注的位置）；遮挡分析按需计算。"}


def _add_image_models():
    """The 2D models' input row from their contracts; the second architecture (nets/model_configs
    ._convnext_variant) shares its task's data, limits and licence."""
    from nets.model_configs import CONFIGS
    for name, base in (("chest-xray-resnet", None), ("skin-isic-resnet", None),
                       ("chest-xray-convnext", "chest-xray-resnet"), ("skin-isic-convnext", "skin-isic-resnet")):
        cfg = CONFIGS[name]
        entry = PLAIN.setdefault(name, {**PLAIN[base], "explanation": CONVNEXT_EXPLANATION} if base else {})
        entry["input"] = {lang: text.format(n=cfg.input.size) for lang, text in IMAGE_INPUT[cfg.task].items()}


_add_image_models()

ROW_LABELS = {
    "model": {"en": "Model", "zh": "模型"},
    "status": {"en": "Status", "zh": "状态"},
    "what": {"en": "What it does", "zh": "用途"},
    "data": {"en": "Learned from", "zh": "训练数据"},
    "quality": {"en": "How well it did on cases it never saw", "zh": "在未见过的数据上的表现"},
    "leaning": {"en": "Leaning", "zh": "判定倾向"},
    "limits": {"en": "Limits", "zh": "局限"},
    "explanation": {"en": "What the picture shows", "zh": "图像显示什么"},
    "input": {"en": "Input it expects", "zh": "需要的输入"},
    "licence": {"en": "Licence", "zh": "许可"},
    "date": {"en": "Trained on (date)", "zh": "训练日期"},
    "sha256": {"en": "Weights fingerprint (sha256)", "zh": "权重指纹（sha256）"},
}

WORDS = {
    "trained": {"en": "trained", "zh": "已训练"},
    "untrained": {"en": "NOT trained: its answers mean nothing", "zh": "未训练：结果没有意义"},
    "quality": {"en": "{n} held-out cases: on average it recognised {ba:.0%} of each class",
                "zh": "{n} 个留出样本：平均每类识别出 {ba:.0%}"},
    "no_quality": {"en": "not measured by us", "zh": "我们未测量"},
    "as_trained": {"en": "none: every class counts the same", "zh": "无：各类别同等对待"},
    "leaning": {"en": "towards {c}: only clear changes are called anything else (assumes {p:.0%} of cases are {c})",
                "zh": "偏向 {c}：只有明显变化才判为其他类别（假定 {p:.0%} 的病例为 {c}）"},
}


def _word(key, lang, **kw):
    s = WORDS[key].get(lang) or WORDS[key]["en"]
    return s.format(**kw) if kw else s


def leaning(prior: dict | None, lang: str) -> str:
    """The decision prior (nets/networks/prior_shift.py) in words."""
    if not prior or max(prior.values()) - min(prior.values()) < 1e-6:
        return _word("as_trained", lang)
    c, p = max(prior.items(), key=lambda kv: kv[1])
    return _word("leaning", lang, c=c, p=p)


def quality_text(summary: dict, lang: str) -> str:
    """The held-out balanced accuracy in words ("on average it recognised 97 % of each class")."""
    val = (summary.get("metrics") or {}).get("validation") or {}
    ba, n = val.get("balanced_accuracy"), val.get("n")
    return _word("quality", lang, n=n, ba=ba) if isinstance(ba, float) and n else _word("no_quality", lang)


def plain_field(model_name: str, key: str, lang: str, fallback: str = "") -> str:
    v = PLAIN.get(model_name, {}).get(key)
    return (v.get(lang) or v["en"]) if v else (fallback or "-")


def limits_sentence(model_name: str, lang: str) -> str:
    entry = PLAIN.get(model_name, {}).get("limits")
    return (entry or {}).get(lang) or (entry or {}).get("en") or ""


def card_rows(summary: dict, lang: str, with_sha: bool = True) -> list:
    """[(label, value)] for a LoadedModel.summary(): plain words, no raw dicts; sha256 last (details on demand)."""
    def field(key, fallback):
        return plain_field(summary["name"], key, lang, fallback)

    quality = quality_text(summary, lang)
    cfg_input = summary.get("input") or {}
    rows = [("model", summary["name"]),
            ("status", _word("trained" if summary["trained"] else "untrained", lang)),
            ("what", field("what", "")),
            ("data", field("data", summary.get("training_data"))),
            ("quality", quality),
            ("leaning", leaning(summary.get("decision_prior"), lang)),
            ("limits", field("limits", summary.get("notice"))),
            ("explanation", field("explanation", summary.get("explanation"))),
            ("input", field("input", cfg_input.get("space") or cfg_input.get("resize"))),
            ("licence", field("licence", summary.get("licence"))),
            ("date", summary.get("date") or "-")]
    if with_sha:
        rows.append(("sha256", summary.get("sha256") or "-"))
    return [(ROW_LABELS[k].get(lang) or ROW_LABELS[k]["en"], v) for k, v in rows]

NOTICE_ZH = {
    "brain-atrophy-3dcnn": "基于无痴呆成人脑部的模拟萎缩训练，未在患者身上验证。类别名称沿用 ADNI 分期，按模拟的严重程度排序。",
    "adni-seed-3dcnn": "旧版应用用 ADNI 训练的权重，为兼容而原样运行，未经我们验证。",
    "chest-xray-convnext": "用于比较的第二种架构（python -m nets.compare），不是默认模型。",
    "skin-isic-convnext": "用于比较的第二种架构（python -m nets.compare），不是默认模型。",
}


def model_notice(model_name: str, en_notice: str, lang: str) -> str:
    """The config's notice (English) or its Chinese version."""
    return NOTICE_ZH.get(model_name, en_notice) if lang == "zh" and en_notice else en_notice
