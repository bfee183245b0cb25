"""English / 中文 strings for the page."""
TEXT = {
    "title": {"en": "Explainable medical image recognition", "zh": "可解释的医学图像识别"},
    "intro": {"en": "Upload a brain MRI (.nii/.nii.gz), a chest X-ray or a dermoscopy photo (.jpg/.png/.dcm). "
                    "A neural network classifies it and a heatmap shows which parts of the image drove the answer.",
              "zh": "上传脑部 MRI（.nii/.nii.gz）、胸部 X 光片或皮肤镜照片（.jpg/.png/.dcm）。神经网络给出分类，"
                    "热力图显示图像中哪些部分影响了结果。"},
    "notice": {"en": "Research and teaching tool, NOT a medical device. Do not use it for diagnosis.",
               "zh": "仅供科研与教学使用，不是医疗器械，请勿用于诊断。"},
    "tasks": {"en": "The models and what they learned from", "zh": "模型及其训练数据"},
    "demo": {"en": "use demo.nii", "zh": "使用 demo.nii"},
    "upload": {"en": "upload a file (or several)", "zh": "上传文件（可多个）"},
    "choose": {"en": "Your scan or image", "zh": "选择扫描或图像"},
    "limit": {"en": "Accepted: .nii .nii.gz .jpg .jpeg .png .dcm, up to {mb} MB",
              "zh": "支持 .nii .nii.gz .jpg .jpeg .png .dcm，最大 {mb} MB"},
    "model_q": {"en": "Which MRI model? (the older app's ADNI model needs raw 256x256 ADNI-style volumes)",
                "zh": "用哪个 MRI 模型？（旧版 ADNI 模型需要 256x256 的原始 ADNI 体数据）"},
    "task_q": {"en": "Which model should analyse this image?", "zh": "用哪个模型分析这张图像？"},
    "chest": {"en": "Chest X-ray (pneumonia)", "zh": "胸部 X 光（肺炎）"},
    "skin": {"en": "Dermoscopy (8 skin lesion classes)", "zh": "皮肤镜（8 类皮肤病变）"},
    "mri": {"en": "Brain MRI (Alzheimer's stage)", "zh": "脑部 MRI（阿尔茨海默病分期）"},
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
    "prior_note": {"en": "This model favours {c}: it names a disease stage only when the changes are clear, so mild "
                         "changes read as {c} (it assumes {p:.0%} of the brains it sees are {c}).",
                   "zh": "该模型偏向 {c}：只有变化明显时才判为疾病阶段，轻微变化会判为 {c}（它假定 {p:.0%} 的脑扫描属于 {c}）。"},
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
    "examples": {"en": "Try an example, or upload your own file:", "zh": "试用示例，或上传您自己的文件："},
    "ex_demo": {"en": "use demo.nii (brain MRI)", "zh": "使用 demo.nii（脑部 MRI）"},
    "ex_chest": {"en": "chest X-ray example", "zh": "胸部 X 光示例"},
    "ex_skin": {"en": "dermoscopy example (synthetic)", "zh": "皮肤镜示例（合成图像）"},
    "start": {"en": "start analysis", "zh": "开始分析"},
    "back": {"en": "back", "zh": "返回"},
    "pick_files": {"en": "Choose one file, several files or a .zip", "zh": "选择一个或多个文件，或一个 .zip"},
    "upload_help": {"en": "One file gives a full result; several files (or a .zip) give a table with one line per "
                          "file.", "zh": "一个文件给出完整结果；多个文件（或 .zip）给出每个文件一行的表格。"},
    "no_file": {"en": "Choose at least one file first.", "zh": "请先选择至少一个文件。"},
    "col_task": {"en": "Task", "zh": "任务"}, "col_model": {"en": "Model", "zh": "模型"},
    "col_data": {"en": "Learned from", "zh": "训练数据"},
    "col_quality": {"en": "On cases it never saw", "zh": "在未见过的数据上"},
    "col_status": {"en": "Status", "zh": "状态"},
    "ready": {"en": "ready", "zh": "可用"}, "not_ready": {"en": "NOT trained", "zh": "未训练"},
    "file": {"en": "File", "zh": "文件"},
    "col_region": {"en": "Region", "zh": "脑区"}, "col_share": {"en": "Share of the evidence", "zh": "证据占比"},
    "what_map": {"en": "What the pictures show", "zh": "图像显示什么"},
    "limits": {"en": "Limits", "zh": "局限"},
    "pdf_report": {"en": "PDF report", "zh": "PDF 报告"},
    "json_report": {"en": "JSON report", "zh": "JSON 报告"},
    "montage": {"en": "all pictures (PNG)", "zh": "全部图像（PNG）"},
    "pdf_making": {"en": "Making the PDF report…", "zh": "正在生成 PDF 报告…"},
    "explaining_class": {"en": "Explaining {c}…", "zh": "正在解释 {c}…"},
    "batch_title": {"en": "Several files", "zh": "多个文件"},
    "batch_file": {"en": "File {i} of {n}: {name}", "zh": "第 {i} 个文件，共 {n} 个：{name}"},
    "batch_summary": {"en": "{ok} of {n} files analysed; {bad} could not be analysed (the table says why).",
                      "zh": "共 {n} 个文件，已分析 {ok} 个；{bad} 个无法分析（原因见表格）。"},
    "batch_failed": {"en": "not analysed", "zh": "未分析"},
    "batch_empty": {"en": "The file is empty or not a readable .zip.", "zh": "文件为空或不是可读取的 .zip。"},
    "batch_csv": {"en": "table (CSV)", "zh": "表格（CSV）"},
    "batch_zip": {"en": "all reports (ZIP of PDFs)", "zh": "全部报告（PDF 的 ZIP）"},
    "col_file": {"en": "File", "zh": "文件"}, "col_answer": {"en": "Answer", "zh": "结果"},
    "col_confidence": {"en": "Probability", "zh": "概率"},
    "col_warnings": {"en": "Warnings / message", "zh": "警告 / 说明"},
    "lang": {"en": "中文", "zh": "English"},
    "warning": {"en": "Warning", "zh": "警告"},
}


def t(key: str, lang: str, **kw) -> str:
    s = TEXT.get(key, {}).get(lang) or TEXT.get(key, {}).get("en") or key
    return s.format(**kw) if kw else s
