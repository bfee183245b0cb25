"""Input errors in the reader's language: a Chinese sentence per error code (nets/errors.py); the English message,
which names the exact problem, stays the detail. Unknown codes keep the English message."""
from __future__ import annotations

ERRORS_ZH = {
    "invalid_input": "该输入无法分析。",
    "empty_file": "文件是空的。",
    "invalid_age": "年龄必须是 0 到 120 之间的年数（可以不填）。",
    "file_too_large": "文件太大。",
    "unsupported_format": "不支持的文件格式：请上传 NIfTI 体数据（.nii、.nii.gz）或 JPEG、PNG、TIFF、BMP、WebP、DICOM 图像。",
    "corrupt_file": "文件已损坏或不完整，无法读取。",
    "unreadable_file": "无法读取该文件。",
    "wrong_dimensions": "图像或体数据的尺寸不符合模型的要求。",
    "too_many_voxels": "体数据的体素太多。",
    "invalid_voxel_size": "体素尺寸无效（应在 0.1–10 mm 之间）。",
    "non_finite_values": "体数据含有无效数值（NaN 或无穷大）。",
    "decompression_bomb": "图像解压后过大，已拒绝。",
    "not_a_brain": "这看起来不是脑部扫描。",
    "not_a_t1_brain": "这看起来不是 T1 加权的脑部扫描。",
    "not_a_chest_xray": "这看起来不是胸部 X 光片。",
    "not_dermoscopy": "这看起来不是皮肤镜照片。",
    "out_of_distribution": "该输入与模型训练时见过的图像差别太大，未给出分类。",
    "model_unavailable": "所需的模型不可用。",
    "server_busy": "服务器繁忙，请稍后再试。",
    "bad_label": "反馈的类别不是该模型的类别之一。",
    "feedback_full": "反馈存储已满，暂时无法保存更多反馈。",
}


def error_text(code: str, message: str, lang: str) -> tuple:
    """(headline, detail): in Chinese the sentence for the code, with the English message as the detail."""
    if lang == "zh" and code in ERRORS_ZH:
        return ERRORS_ZH[code], message
    return message, ""
