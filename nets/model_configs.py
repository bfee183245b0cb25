"""Every model is declared once here, with its input contract (timm-style config = mini model card).

Metrics, sha256, dates and data splits are written by the training code into the JSON card next to the
weights (data/model_save/<name>.card.json) and merged in by nets.registry at load time.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class InputContract:
    """What a model takes (timm's pretrained-config / MONAI bundle style). 2D: colour mode, square side, resize policy,
    per-channel mean / std after x/255. MRI: the preprocessing ("engine": the MNI 2 mm grid of nets/transforms/;
    "raw": the stored voxel array cut to `shape`), the space and the tensor shape. `normalisation` and `resize` say
    it in words for people (model card view, JSON)."""
    kind: str  # "nifti" | "image"
    normalisation: str
    mode: str | None = None  # 2D: "L" (greyscale) | "RGB"
    size: int | None = None  # 2D: the square side the image is resized to
    resize: str = ""
    mean: tuple = ()
    std: tuple = ()
    preprocessing: str | None = None  # MRI: "engine" | "raw"
    space: str = ""
    shape: tuple = ()  # MRI: the tensor shape (1, 1, D, H, W)

    @property
    def is_volume(self) -> bool:
        return self.kind == "nifti"

    @property
    def voxel_shape(self) -> tuple:
        """MRI: (D, H, W) of the model input."""
        return tuple(self.shape[2:])

    def __getitem__(self, key):  # dict-style reading (older callers, image_to_tensor)
        return getattr(self, key)

    def get(self, key, default=None):
        return getattr(self, key, default)

    def to_json(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items() if v not in (None, "", ())}


@dataclass(frozen=True)
class ModelConfig:
    name: str
    task: str  # "mri" | "chest" | "skin"
    architecture: str  # class name in nets.networks
    arch_kwargs: dict
    classes: tuple
    class_names: dict  # class -> {"en": ..., "zh": ...}
    input: InputContract
    weights: str  # path relative to the project root
    training_data: str
    licence: str
    explanation: str
    notice: str = ""
    extra: dict = field(default_factory=dict)
    # explanation methods offered for this model (nets/interpret/attribution.py); the first is computed with every
    # prediction, the others on demand
    explainers: tuple = ("lrp",)
    scope: dict = field(default_factory=dict)  # {"en", "zh"}: population and scope in one plain sentence
    explainer_layers: dict = field(default_factory=dict)  # method -> layer name (Grad-CAM: the feature stage)
    positive_class: str | None = None  # two-class models: the class sensitivity / AUC are reported for
    external_weights: bool = False  # weights we do not ship (../shared): missing weights are an error, not untrained

    def to_json(self) -> dict:
        """The config as model cards store it (the keys cards have always had; the input contract as a dict)."""
        d = {k: v for k, v in asdict(self).items() if k not in CARD_LESS_FIELDS}
        d["input"] = self.input.to_json()
        return d


CARD_LESS_FIELDS = ("explainer_layers", "positive_class", "external_weights")  # read from the config, not cards


ADNI_CLASSES = ("AD", "CN", "MCI", "EMCI", "LMCI")
ADNI_NAMES = {
    "AD": {"en": "Alzheimer's disease", "zh": "阿尔茨海默病"},
    "CN": {"en": "Cognitively normal", "zh": "认知正常"},
    "MCI": {"en": "Mild cognitive impairment", "zh": "轻度认知障碍"},
    "EMCI": {"en": "Early mild cognitive impairment", "zh": "早期轻度认知障碍"},
    "LMCI": {"en": "Late mild cognitive impairment", "zh": "晚期轻度认知障碍"},
}
# Severity order used by the simulated-atrophy model: CN < EMCI < MCI < LMCI < AD.
SEVERITY_ORDER = ("CN", "EMCI", "MCI", "LMCI", "AD")

CONFIGS = {
    "brain-atrophy-3dcnn": ModelConfig(
        name="brain-atrophy-3dcnn",
        task="mri",
        architecture="BrainCNN3D",
        arch_kwargs={"num_classes": 5, "channels": [8, 16, 32, 64], "input_shape": [80, 96, 80]},
        classes=SEVERITY_ORDER,
        class_names=ADNI_NAMES,
        input=InputContract(
            kind="nifti",
            preprocessing="engine",
            space="MNI (Colin27 / ICBM152), RAS, 2 mm isotropic, 80x96x80, origin-centred grid",
            shape=(1, 1, 80, 96, 80),
            normalisation="brain-masked; divided by the 99th percentile of brain voxels, clipped to [0, 1.5]",
        ),
        weights="data/model_save/brain_atrophy_3dcnn.pt",
        training_data=("Simulated atrophy (5 severity levels) of 75 real adult brains without dementia, ages 20-82 "
                       "(OpenNeuro ds002748, CC0; IXI, CC BY-SA 3.0) plus Colin27 and MNI152; not validated on "
                       "patients."),
        licence="CC BY-SA 3.0 (derived from IXI); CC0 (ds002748); Colin27 / MNI152 template licences",
        explanation="LRP (plain torch): z+ rule on convolutions, epsilon rule on linear and pooling layers, BatchNorm folded into convolutions; occlusion on demand",
        explainers=("lrp", "occlusion"),
        notice=("Trained on simulated atrophy of brains of adults without dementia; not validated on patients. "
                "Class names follow ADNI stages ordered by simulated severity."),
        scope={"en": "Adults aged 20-82 without dementia (ds002748, IXI), with atrophy simulated by our code; "
                     "T1-weighted brain MRI only; never validated on patients.",
               "zh": "20-82 岁无痴呆成人（ds002748、IXI），萎缩由本项目代码模拟；仅限 T1 加权脑部 MRI；从未在患者身上验证。"},
    ),
    "adni-seed-3dcnn": ModelConfig(
        name="adni-seed-3dcnn",
        task="mri",
        architecture="ClassificationModel3D",
        arch_kwargs={},
        classes=ADNI_CLASSES,
        class_names=ADNI_NAMES,
        input=InputContract(
            kind="nifti",
            preprocessing="raw",
            space="voxel array as stored, first 160 slices along axis 0",
            shape=(1, 1, 160, 256, 256),
            normalisation="none (raw ADNI MPRAGE intensities)",
        ),
        external_weights=True,
        weights="../shared/data/adni_seed_weights/myModel_state_dict_130.pth",
        training_data="ADNI (held by the older app's authors; we do not hold these data)",
        licence="MIT (c) 2023 bytesc (weights)",
        explanation="LRP (plain torch): z+ rule on convolutions, epsilon rule on linear and pooling layers, BatchNorm folded into convolutions",
        notice="The older app's ADNI-trained weights, run unchanged for compatibility. Not validated by us.",
        scope={"en": "ADNI participants (older adults, North America) as trained by the older app's authors; raw "
                     "160x256x256 ADNI MPRAGE volumes only; not validated by us.",
               "zh": "ADNI 受试者（北美老年人），由旧版应用作者训练；仅限 160x256x256 原始 ADNI MPRAGE 体数据；未经本项目验证。"},
    ),
    "chest-xray-resnet": ModelConfig(
        name="chest-xray-resnet",
        task="chest",
        architecture="SmallResNet2D",
        arch_kwargs={"in_channels": 1, "num_classes": 2, "widths": [32, 64, 128, 256], "blocks": [1, 1, 2, 1]},
        classes=("NORMAL", "PNEUMONIA"),
        class_names={"NORMAL": {"en": "Normal", "zh": "正常"},
                     "PNEUMONIA": {"en": "Pneumonia", "zh": "肺炎"}},
        input=InputContract(
            kind="image",
            mode="L",
            size=160,
            resize="whole image resized to 160x160, aspect ratio not kept (as the Kermany images)",
            normalisation="x/255, then (x - 0.5) / 0.25",
            mean=(0.5,), std=(0.25,),
        ),
        positive_class="PNEUMONIA",
        explainer_layers={"grad-cam": "features"},
        weights="data/model_save/chest_xray_resnet.pt",
        training_data="Kermany et al. 2018 paediatric chest X-rays, train split (CC BY 4.0), split by patient",
        licence="CC BY 4.0",
        explanation="Grad-CAM on the last residual stage; LRP (plain torch, BatchNorm folded, residual sums split by "
                    "contribution) and occlusion on demand",
        explainers=("grad-cam", "lrp", "occlusion"),
        scope={"en": "Children aged 1-5 from one hospital in Guangzhou (Kermany 2018); frontal chest X-rays only; "
                     "normal vs pneumonia, no other finding.",
               "zh": "广州一家医院 1-5 岁儿童（Kermany 2018）；仅限正位胸部 X 光片；只区分正常与肺炎，不识别其他病变。"},
    ),
    "skin-isic-resnet": ModelConfig(
        name="skin-isic-resnet",
        task="skin",
        architecture="SmallResNet2D",
        arch_kwargs={"in_channels": 3, "num_classes": 8, "widths": [32, 64, 128, 256], "blocks": [1, 1, 2, 1]},
        classes=("AK", "BCC", "BKL", "DF", "MEL", "NV", "SCC", "VASC"),
        class_names={
            "AK": {"en": "Actinic keratosis", "zh": "光化性角化病"},
            "BCC": {"en": "Basal cell carcinoma", "zh": "基底细胞癌"},
            "BKL": {"en": "Benign keratosis", "zh": "良性角化病"},
            "DF": {"en": "Dermatofibroma", "zh": "皮肤纤维瘤"},
            "MEL": {"en": "Melanoma", "zh": "黑色素瘤"},
            "NV": {"en": "Melanocytic nevus", "zh": "黑色素细胞痣"},
            "SCC": {"en": "Squamous cell carcinoma", "zh": "鳞状细胞癌"},
            "VASC": {"en": "Vascular lesion", "zh": "血管病变"},
        },
        input=InputContract(
            kind="image",
            mode="RGB",
            size=144,
            resize="whole image resized to 144x144, aspect ratio not kept",
            normalisation="x/255, then per-channel (x - mean) / std",
            mean=(0.70, 0.55, 0.55), std=(0.15, 0.16, 0.18),
        ),
        explainer_layers={"grad-cam": "features"},
        weights="data/model_save/skin_isic_resnet.pt",
        training_data="ISIC Archive / HAM10000 dermoscopy, clean pool of 2,101 images (CC BY-NC 4.0), split by lesion",
        licence="CC BY-NC 4.0 (HAM10000 images CC BY-NC-SA 4.0): non-commercial use only",
        explanation="Grad-CAM on the last residual stage; LRP (plain torch, BatchNorm folded, residual sums split by "
                    "contribution) and occlusion on demand",
        explainers=("grad-cam", "lrp", "occlusion"),
        scope={"en": "Dermoscopy photos of single skin lesions, mostly fair skin (ISIC Archive / HAM10000, Europe and "
                     "Australia); not ordinary photos, darker skin not checked.",
               "zh": "单个皮肤病灶的皮肤镜照片，以浅肤色为主（ISIC / HAM10000，欧洲与澳大利亚）；不适用于普通照片，深色皮肤未经检验。"},
    ),
}



def _convnext_variant(base: str, name: str, weights: str) -> ModelConfig:
    """The second architecture family for a 2D task (issue 23): a small ConvNeXt (nets/networks/small_convnext2d.py)
    on the same data, split and normalisation as the task's ResNet, at 128 px (trained on one CPU thread in ~12
    minutes: python -m nets.train TASK --arch SmallConvNeXt2D). Grad-CAM and occlusion (no LRP rules for its
    LayerNorm / GELU). Never the default unless python -m nets.compare ranks it first (DEFAULT_RULE)."""
    b = CONFIGS[base]
    return replace(b, name=name, architecture="SmallConvNeXt2D",
                   arch_kwargs={"in_channels": b.arch_kwargs["in_channels"], "num_classes": len(b.classes),
                                "widths": [24, 48, 96, 192], "depths": [1, 1, 2, 1]},
                   input=replace(b.input, size=128, resize="whole image resized to 128x128, aspect ratio not kept"),
                   weights=weights, explainers=("grad-cam", "occlusion"),
                   explanation="Grad-CAM on the last ConvNeXt stage; occlusion on demand",
                   notice="Second architecture for comparison (python -m nets.compare); not the default model.")


CONFIGS["chest-xray-convnext"] = _convnext_variant("chest-xray-resnet", "chest-xray-convnext",
                                                   "data/model_save/chest_xray_convnext.pt")
CONFIGS["skin-isic-convnext"] = replace(
    _convnext_variant("skin-isic-resnet", "skin-isic-convnext", "data/model_save/skin_isic_convnext.pt"),
    training_data="ISIC Archive / HAM10000 dermoscopy: skin_lesions (2,101 images) + skin_ham10000 (6,927), "
                  "CC BY-NC 4.0 / CC BY-NC-SA 4.0, split by lesion over both (nets/training/splits_2d.py)")

DEFAULT_MODEL_FOR_TASK = {"mri": "brain-atrophy-3dcnn", "chest": "chest-xray-resnet", "skin": "skin-isic-resnet"}
TASKS = tuple(DEFAULT_MODEL_FOR_TASK)  # ("mri", "chest", "skin"): the one list of tasks
# how a task's default is chosen among its registered models (recorded in every 2D card and in nets.compare's output)
DEFAULT_RULE = ("the model with the highest validation balanced accuracy on the task's fixed validation split "
                "(python -m nets.compare TASK); ties and differences within 1 point keep the current default")
