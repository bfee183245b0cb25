"""English / 中文 strings for the page."""
from nets.report.texts import TEXT as REPORT_TEXT, lookup

TEXT = {
    "title": {"en": "Explainable medical image recognition", "zh": "可解释的医学图像识别"},
    "intro": {"en": "Upload a brain MRI (.nii/.nii.gz), a chest X-ray or a dermoscopy photo (.jpg/.png/.tif/.bmp/.webp/.dcm). "
                    "A neural network classifies it and a heatmap shows which parts of the image drove the answer.",
              "zh": "上传脑部 MRI（.nii/.nii.gz）、胸部 X 光片或皮肤镜照片（.jpg/.png/.tif/.bmp/.webp/.dcm）。神经网络给出分类，"
                    "热力图显示图像中哪些部分影响了结果。"},
    "notice": REPORT_TEXT["notice"],  # the same words as the PDF report
    "tasks": {"en": "The models and what they learned from", "zh": "模型及其训练数据"},
    "demo": {"en": "use demo.nii", "zh": "使用 demo.nii"},
    "upload": {"en": "upload a file (or several)", "zh": "上传文件（可多个）"},
    "choose": {"en": "Your scan or image", "zh": "选择扫描或图像"},
    "limit": {"en": "Accepted: .nii .nii.gz .jpg .jpeg .png .tif .tiff .bmp .webp .dcm, up to {mb} MB",
              "zh": "支持 .nii .nii.gz .jpg .jpeg .png .tif .tiff .bmp .webp .dcm，最大 {mb} MB"},
    "model_q": {"en": "Which MRI model? (the older app's ADNI model needs raw 256x256 ADNI-style volumes)",
                "zh": "用哪个 MRI 模型？（旧版 ADNI 模型需要 256x256 的原始 ADNI 体数据）"},
    "task_q": {"en": "Which model should analyse this image?", "zh": "用哪个模型分析这张图像？"},
    "mri_model_brain-atrophy-3dcnn": {
        "en": "brain-atrophy-3dcnn (default): trained by this project on simulated atrophy of 75 real adult brains, "
              "ages 20-82",
        "zh": "brain-atrophy-3dcnn（默认）：本项目在 75 个真实成人脑（20-82 岁）的模拟萎缩上训练"},
    "mri_model_adni-seed-3dcnn": {
        "en": "adni-seed-3dcnn: the older app's weights, trained on ADNI by its authors (raw 256x256 volumes only)",
        "zh": "adni-seed-3dcnn：旧版应用的权重，由其作者在 ADNI 上训练（仅限 256x256 的原始体数据）"},
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
    "prior_note": {"en": "This model favours {c}: it names a disease stage only when the changes are clear, so mild "
                         "changes read as {c} (it assumes {p:.0%} of the brains it sees are {c}).",
                   "zh": "该模型偏向 {c}：只有变化明显时才判为疾病阶段，轻微变化会判为 {c}（它假定 {p:.0%} 的脑扫描属于 {c}）。"},
    "threshold_note": {"en": "This model answers {c} from a probability of {p:.0%} on: the threshold chosen on "
                             "validation films (with shifted copies) to find at least {s:.0%} of {c} cases, at the "
                             "cost of some false alarms. The probabilities below include this shift: 50% there is this threshold.",
                       "zh": "本模型在 {c} 概率达到 {p:.0%} 时即判为 {c}：该阈值在验证集胸片（含变换后的副本）上选定，"
                             "以找出至少 {s:.0%} 的 {c} 病例，代价是部分误报。下方概率已包含此调整：其中的 50% 即对应该阈值。"},
    "occlusion": {"en": "Which regions would change the answer? (occlusion)", "zh": "哪些脑区会改变结果？（遮挡分析）"},
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
    "age_field": {"en": "Age of the person in years (optional, brain MRI only: shows the brain-age gap and grades "
                        "atrophy against healthy people of that age)",
                  "zh": "受检者年龄（岁，可选，仅脑部 MRI：显示脑龄差，并相对同龄健康人评估萎缩）"},
    "age_placeholder": {"en": "e.g. 67", "zh": "例如 67"},
    "brain_age": {"en": "Brain age", "zh": "脑龄"},
    "brain_age_note": {"en": "A ridge-regression estimate trained on {n} healthy adults aged 20-82 (IXI, CC BY-SA 3.0; "
                             "OpenNeuro ds002748, CC0); validation mean absolute error {mae} years. Not a diagnosis.",
                       "zh": "岭回归估计，训练于 {n} 名 20-82 岁健康成人（IXI，CC BY-SA 3.0；OpenNeuro ds002748，CC0）；"
                             "验证集平均绝对误差 {mae} 岁。这不是诊断。"},
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
    "calibrated_top": {"en": "calibrated (temperature {t:.2f}, then the answered class's probability mapped to how often "
                             "such answers were right; fitted on validation data)",
                       "zh": "已校准（温度 {t:.2f}，再把所答类别的概率映射为此类回答在验证集上的实际正确率）"},
    # explanation sections (gui/explanation_sections.py)
    "expl_title": {"en": "Why {c}? Explanations", "zh": "为什么是 {c}？解释"},
    "expl_colours": {"en": "How to read the colours: RED marks parts of the image that pushed the answer towards "
                           "{c}; BLUE marks parts that pushed it away from {c} (towards another class); no colour: "
                           "no effect. The stronger the colour, the larger the effect. Each method below asks the "
                           "question differently; where they agree, trust the map more.",
                     "zh": "如何看颜色：红色表示图像中把结果推向 {c} 的部分；蓝色表示把结果推离 {c}（推向其他类别）的部分；"
                           "无颜色表示没有影响。颜色越深，影响越大。下面每种方法提问的方式不同；几种方法一致的地方更可信。"},
    "expl_lrp": {"en": "LRP (layer-wise relevance propagation) traces the answer back through the network, layer by "
                       "layer, and shares it out over the pixels. Red: this part counted for {c}; blue: against {c}.",
                 "zh": "LRP（逐层相关性传播）把网络的结果逐层倒推回去，分配到每个像素上。红色：该部分支持 {c}；"
                       "蓝色：该部分反对 {c}。"},
    "expl_grad-cam": {"en": "Grad-CAM shows where the network's last layers found features of {c} (coarse: about 10 x 10 "
                            "values over the whole image). It has no blue: it shows where the network looked, "
                            "not whether that region argued for or against {c}. Yellow: looked most; dark: not used.",
                      "zh": "Grad-CAM 显示网络最后几层在哪里找到了 {c} 的特征（较粗：整幅图约 10 x 10 个值）。"
                            "它没有蓝色：只显示网络看了哪里，不说明该区域支持还是反对 {c}。黄色：最关注；深色：未使用。"},
    "expl_occlusion_chest": {"en": "Each small square of the film is hidden in turn (filled with mid-grey) and the "
                                   "change of the answer is measured. Red: hiding it lowers P({c}), so it spoke for "
                                   "{c}; blue: hiding it raises P({c}), so it spoke against {c}.",
                             "zh": "依次把片子上的每个小方块遮住（填成中灰色），测量结果的变化。红色：遮住后 P({c}) 下降，"
                                   "说明它支持 {c}；蓝色：遮住后 P({c}) 上升，说明它反对 {c}。"},
    "expl_occlusion_skin": {"en": "Each small square of the photo is hidden in turn (filled with an average skin "
                                  "tone) and the change of the answer is measured. Red: hiding it lowers P({c}), so "
                                  "it spoke for {c}; blue: hiding it raises P({c}), so it spoke against {c}.",
                            "zh": "依次把照片上的每个小方块遮住（填成平均肤色），测量结果的变化。红色：遮住后 P({c}) 下降，"
                                  "说明它支持 {c}；蓝色：遮住后 P({c}) 上升，说明它反对 {c}。"},
    "expl_occlusion_mri": {"en": "Each 24 mm cube of this brain is swapped in turn for the same cube of a healthy "
                                 "average brain (the MNI152 template), and the change of the answer is measured. "
                                 "Red: made healthy-looking, the region lowers P({c}), so it spoke for {c}; blue: "
                                 "it raises P({c}), so it spoke against {c}. The table lists the cubes with the "
                                 "largest effect.",
                           "zh": "依次把该脑的每个 24 mm 立方块换成健康平均脑（MNI152 模板）的同一位置，测量结果的变化。"
                                 "红色：换成健康样子后 P({c}) 下降，说明该区域支持 {c}；蓝色：P({c}) 上升，说明它反对 {c}。"
                                 "表中列出影响最大的立方块。"},
    "expl_run": {"en": "run {m} (about {s} s)", "zh": "运行 {m}（约 {s} 秒）"},
    "expl_sanity_bad": {"en": "Warning: this method failed the randomisation check (Adebayo et al. 2018): with the "
                              "network's weights replaced by random ones its map stays similar (rank correlation "
                              "{r:.2f}), so it shows the image's outlines more than the model's reasoning.",
                        "zh": "警告：该方法未通过随机化检验（Adebayo 等 2018）：把网络权重换成随机值后其图仍相似（秩相关 {r:.2f}），"
                              "因此它更多显示图像轮廓，而不是模型的推理。"},
    "expl_sanity_ok": {"en": "Randomisation check passed: with random weights the map changes (rank correlation "
                             "{r:.2f}), so it depends on what the model learned.",
                       "zh": "随机化检验通过：权重随机化后图明显改变（秩相关 {r:.2f}），说明它取决于模型学到的内容。"},
    "expl_bar_words": {"en": "top of the bar: {a}; bottom: {b}", "zh": "色条顶部：{a}；底部：{b}"},
    # layer activations (gui/activation_section.py)
    "act_title": {"en": "What each layer sees (layer activations)", "zh": "每一层看到了什么（层激活）"},
    "act_intro": {"en": "The network reads the image in stages, from fine details to coarse, abstract maps. For each "
                        "stage: its strongest feature maps for this input (by mean activation). They show what the "
                        "network computes, not why it answered: that is what the explanations above are for.",
                  "zh": "网络分阶段读取图像，从细节到粗略、抽象的特征图。每个阶段显示对该输入最强的特征图（按平均激活排序）。"
                        "它们显示网络计算了什么，而不是它为何给出这个答案：那是上面的解释图的作用。"},
    "act_run": {"en": "show the layers (about 1 s)", "zh": "显示各层（约 1 秒）"},
    "act_scaling": {"en": "Each map is scaled to its own maximum: dark = no activation, yellow = strongest. "
                          "#n: channel number; the value: its mean activation.",
                    "zh": "每张图按自身最大值缩放：深色 = 无激活，黄色 = 最强。#n：通道编号；数值：平均激活。"},
    "act_channels": {"en": "channels", "zh": "个通道"},
    # feedback (gui/feedback_control.py)
    "fb_title": {"en": "Is this answer right?", "zh": "这个答案对吗？"},
    "fb_help": {"en": "Optional. Your answer and a copy of this input are kept (under feedback/, named by content, "
                      "not by your file name) so that the model can later be retrained on corrected examples. "
                      "Nothing is kept unless you click.",
                "zh": "可选。您的回答和该输入的副本会被保存（在 feedback/ 下，按内容命名，而非您的文件名），以便日后用更正后的"
                      "样本重新训练模型。不点击则不保存任何内容。"},
    "fb_right": {"en": "this answer is right", "zh": "这个答案正确"},
    "fb_should": {"en": "it should be the class chosen here", "zh": "应为此处所选类别"},
    "fb_thanks": {"en": "Thank you: kept as {label}. A user's label is not a diagnosis; it is checked before any "
                        "retraining.",
                  "zh": "谢谢：已记录为 {label}。用户的标注不是诊断，重新训练前会经过核查。"},
    "fb_gone": {"en": "This input is no longer held by the page; nothing was kept.",
                "zh": "页面已不再保存该输入；未记录任何内容。"},
    # other models of the task (gui/model_choice.py)
    "mc_title": {"en": "Other models for this task", "zh": "该任务的其他模型"},
    "mc_table": {"en": "How the models compare (same validation images)", "zh": "模型比较（相同的验证图像）"},
    "mc_arch": {"en": "architecture", "zh": "架构"},
    "mc_bacc": {"en": "balanced accuracy", "zh": "平衡准确率"},
    "mc_auc": {"en": "AUC", "zh": "AUC"},
    "mc_ece": {"en": "calibration error (ECE)", "zh": "校准误差（ECE）"},
    "mc_ms": {"en": "ms per image", "zh": "每张图毫秒数"},
    "mc_params": {"en": "parameters", "zh": "参数量"},
    "mc_mb": {"en": "MB", "zh": "MB"},
    "mc_split": {"en": "All models on the same {n} validation images (split {method}, never used for training; "
                       "file list {fp}). The default model is {default}: the one with the highest balanced accuracy.",
                 "zh": "所有模型使用相同的 {n} 张验证图像（划分方式：{method}，从未用于训练；文件列表 {fp}）。"
                       "默认模型为 {default}：平衡准确率最高者。"},
    "mc_run": {"en": "analyse with {m}", "zh": "用 {m} 分析"},
    "mc_running": {"en": "Analysing with {m} …", "zh": "正在用 {m} 分析…"},
    "occlusion_raise": {"en": "made healthy-looking, raises P({c}): spoke against {c}",
                        "zh": "换成健康样子后 P({c}) 上升：反对 {c}"},
    "occlusion_lower": {"en": "made healthy-looking, lowers P({c}): spoke for {c}",
                        "zh": "换成健康样子后 P({c}) 下降：支持 {c}"},
    "occlusion_head": {"en": "change of the model's score for {c} (log-odds)", "zh": "模型对 {c} 的得分变化（对数几率）"},
    "occlusion_line": {"en": "The model's score for {c} on this brain (log-odds): {lo:+.2f}. {n} cubes of {mm} mm "
                             "were each made like the healthy reference brain ({ref}); {mode}; {s} s.",
                       "zh": "模型对该脑部 {c} 的得分（对数几率）：{lo:+.2f}。共 {n} 个 {mm} mm 立方体，逐个换成健康参考脑"
                             "（{ref}）的样子；{mode}；用时 {s} 秒。"},
    "occl_mode_fast": {"en": "brain cubes only, coarse to fine", "zh": "仅脑内立方体，由粗到细"},
    "occl_mode_every": {"en": "every cube", "zh": "全部立方体"},
    "occl_region": {"en": "AAL atlas region (most of the cube)", "zh": "AAL 图谱脑区（立方体的大部分）"},
    "occl_mni": {"en": "MNI x, y, z (mm)", "zh": "MNI 坐标 x, y, z（mm）"},
    "occl_ventricle": {"en": "lateral ventricle", "zh": "侧脑室占比"},
    "occl_mtl": {"en": "medial temporal lobe", "zh": "内侧颞叶占比"},
    # explanation methods and MRI planes
    **{k: v for k, v in REPORT_TEXT.items() if k.startswith(("method_", "plane_"))},  # the PDF / montage alike
    "batch_not_input": {"en": "Skipped: not an image or volume this tool reads (.nii .nii.gz .jpg .jpeg .png .tif .tiff .bmp .webp .dcm).",
                        "zh": "已跳过：不是本工具能读取的图像或体数据（.nii .nii.gz .jpg .jpeg .png .tif .tiff .bmp .webp .dcm）。"},
    "batch_over_limit": {"en": "Skipped: one batch takes at most {n} files; please send the rest in another batch.",
                         "zh": "已跳过：每批最多 {n} 个文件；其余文件请另起一批。"},
    "lang": {"en": "中文", "zh": "English"},
    "credit": {"en": "Built with PyWebIO, PyTorch and nibabel", "zh": "基于 PyWebIO、PyTorch 和 nibabel 构建"},
    "warning": {"en": "Warning", "zh": "警告"},
}


def t(key: str, lang: str, **kw) -> str:
    return lookup(TEXT, key, lang, **kw)
