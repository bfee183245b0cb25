"""English / 中文 strings for the page."""
TEXT = {
    "title": {"en": "Explainable medical image recognition", "zh": "可解释的医学图像识别"},
    "intro": {"en": "Upload a brain MRI (.nii/.nii.gz), a chest X-ray or a dermoscopy photo (.jpg/.png/.dcm). "
                    "A neural network classifies it and a heatmap shows which parts of the image drove the answer.",
              "zh": "上传脑部 MRI（.nii/.nii.gz）、胸部 X 光片或皮肤镜照片（.jpg/.png/.dcm）。神经网络给出分类，"
                    "热力图显示图像中哪些部分影响了结果。"},
    "notice": {"en": "Research and teaching tool, NOT a medical device. Do not use it for diagnosis.",
               "zh": "仅供科研与教学使用，不是医疗器械，请勿用于诊断。"},
    "tasks": {"en": "Tasks and training data", "zh": "任务与训练数据"},
    "demo": {"en": "use demo.nii", "zh": "使用 demo.nii"},
    "upload": {"en": "upload a file", "zh": "上传文件"},
    "choose": {"en": "Your scan or image", "zh": "选择扫描或图像"},
    "limit": {"en": "Accepted: .nii .nii.gz .jpg .jpeg .png .dcm, up to {mb} MB",
              "zh": "支持 .nii .nii.gz .jpg .jpeg .png .dcm，最大 {mb} MB"},
    "model_q": {"en": "Which MRI model? (the older app's ADNI model needs raw 256x256 ADNI-style volumes)",
                "zh": "用哪个 MRI 模型？（旧版 ADNI 模型需要 256x256 的原始 ADNI 体数据）"},
    "task_q": {"en": "Which model should analyse this image?", "zh": "用哪个模型分析这张图像？"},
    "chest": {"en": "Chest X-ray (pneumonia)", "zh": "胸部 X 光（肺炎）"},
    "skin": {"en": "Dermoscopy (8 skin lesion classes)", "zh": "皮肤镜（8 类皮肤病变）"},
    "mri": {"en": "Brain MRI (Alzheimer's stage)", "zh": "脑部 MRI（阿尔茨海默病分期）"},
    "neither": {"en": "neither a chest X-ray nor a dermoscopy photo (either model will probably refuse it)",
                "zh": "既不像胸部 X 光片也不像皮肤镜照片（两个模型都可能拒绝分析）"},
    "detected": {"en": "Detected: {t}", "zh": "自动识别：{t}"},
    "queue": {"en": "Waiting: place {n} in the queue", "zh": "排队中：第 {n} 位"},
    "reading": {"en": "Reading", "zh": "读取"}, "preprocessing": {"en": "Preprocessing", "zh": "预处理"},
    "classifying": {"en": "Classifying", "zh": "分类"}, "explaining": {"en": "Explaining (LRP / Grad-CAM)",
                                                                      "zh": "生成解释（LRP / Grad-CAM）"},
    "rendering": {"en": "Rendering", "zh": "绘图"}, "done": {"en": "Done", "zh": "完成"},
    "result": {"en": "Result", "zh": "结果"},
    "prediction": {"en": "Prediction", "zh": "预测"},
    "probs": {"en": "Class probabilities", "zh": "各类别概率"},
    "gallery": {"en": "Explanation: raw | relevance heatmap | overlay", "zh": "解释：原图 | 相关性热力图 | 叠加"},
    "slice": {"en": "slice", "zh": "切片"},
    "regions": {"en": "Brain regions with most positive relevance (AAL atlas)", "zh": "正相关性最高的脑区（AAL 图谱）"},
    "card": {"en": "Model card", "zh": "模型卡"},
    "downloads": {"en": "Downloads", "zh": "下载"},
    "other_class": {"en": "Explain another class", "zh": "解释其他类别"},
    "again": {"en": "analyse another", "zh": "分析另一个"},
    "prior_note": {"en": "This model answers under a class prior that favours {c} (P({c}) = {p:.0%}, chosen on held-out "
                         "brains): only clear changes are called a disease stage, mild ones read as {c}. The model "
                         "card says why.",
                   "zh": "该模型采用偏向 {c} 的类别先验（P({c}) = {p:.0%}，在留出脑数据上选定）：只有明显变化才判为疾病阶段，"
                         "轻微变化判为 {c}。原因见模型卡。"},
    "occlusion": {"en": "Which regions would change the answer? (occlusion)", "zh": "哪些脑区会改变结果？（遮挡分析）"},
    "occlusion_how": {"en": "Each 24 mm cube of this brain is replaced in turn by the same cube of the MNI152 template "
                            "(a healthy average brain) and the change of the CN log-odds is recorded: about 2,000 "
                            "forward passes, a minute or so. Positive: made typical, the region raises P(CN), so it "
                            "argues for impairment. LRP shows what the network attends to; occlusion asks what would "
                            "change its answer.",
                      "zh": "依次把该脑的每个 24 mm 立方块替换为 MNI152 模板（健康平均脑）的同一位置，记录 CN 对数几率的变化："
                            "约 2000 次前向计算，约一分钟。正值：该区域变得典型后 P(CN) 上升，即该区域支持“有萎缩”。"
                            "LRP 显示网络关注哪里；遮挡分析回答什么会改变结果。"},
    "occlusion_run": {"en": "run occlusion", "zh": "运行遮挡分析"},
    "occlusion_raise": {"en": "made typical, raises P(CN)", "zh": "变典型后 P(CN) 上升"},
    "occlusion_lower": {"en": "made typical, lowers P(CN)", "zh": "变典型后 P(CN) 下降"},
    "error": {"en": "This input cannot be analysed", "zh": "无法分析该输入"},
    "internal_error": {"en": "Something went wrong on our side while analysing this file. It has been logged; "
                             "please try again. Other files and users are not affected.",
                       "zh": "分析此文件时服务器内部出错，已记录。请重试；其他文件和用户不受影响。"},
    "refused": {"en": "Not analysed: this input is unlike what the model was trained on",
                "zh": "未分析：该输入与模型的训练数据不符"},
    "force_hint": {"en": "If you are sure this is the right kind of image, you can ask for an answer anyway; it will "
                         "carry a warning.",
                   "zh": "如果确定这是正确类型的图像，可以仍然要求给出结果；结果会附带警告。"},
    "force_button": {"en": "analyse anyway", "zh": "仍然分析"},
    "uncertain": {"en": "uncertain between {a} and {b}", "zh": "不确定：{a} 或 {b}"},
    "uncertain_why": {"en": "The two most likely classes differ by less than 20 percentage points ({a} {pa:.0%}, "
                            "{b} {pb:.0%}): the model cannot tell them apart on this input.",
                      "zh": "两个最可能类别的概率相差不到 20 个百分点（{a} {pa:.0%}，{b} {pb:.0%}）：模型无法区分。"},
    "scope": {"en": "Limits of this model", "zh": "本模型的适用范围"},
    "calibrated": {"en": "calibrated (temperature {t:.2f}, fitted on validation data)",
                   "zh": "已校准（温度 {t:.2f}，在验证集上拟合）"},
    "lang": {"en": "中文", "zh": "English"},
    "warning": {"en": "Warning", "zh": "警告"},
}


def t(key: str, lang: str, **kw) -> str:
    s = TEXT.get(key, {}).get(lang) or TEXT.get(key, {}).get("en") or key
    return s.format(**kw) if kw else s
