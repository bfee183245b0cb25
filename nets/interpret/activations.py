"""Layer activations ("what each layer sees"): the strongest feature maps of each stage of the network for one input,
behind the common explainer interface (nets/interpret/attribution.py).

    a = LayerActivations(module).explain(x, target)   # -> ActivationsAttribution (map: last stage's mean, upsampled)
    a.stages                                          # [StageActivations(name, channels, means, maps)]

2D models: the top-K channels (by mean activation over the image) of each stage, as (K, h, w) maps. The MRI model:
the same per stage, each channel kept as its three mid-plane slices (axial, coronal, sagittal) of the stage's grid.
Activations do not depend on the class asked about: `target` is recorded, never used. One forward pass per input;
`result_activations` keeps the answer in the result's cache, so a second call does no forward pass.
"""
from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nets.interpret.attribution import Attribution, Explainer

PLANES = ("axial", "coronal", "sagittal")

# one plain sentence per stage name: what its feature maps usually respond to (en, zh)
STAGE_TEXT = {
    "stem": {"en": "First layer: edges, brightness steps and colour blobs at the finest scale, a few pixels wide.",
             "zh": "第一层：最细尺度（几个像素宽）的边缘、亮度变化和色块。"},
    "stage1": {"en": "Stage 1: small textures and short line pieces, still close to the image itself.",
               "zh": "第 1 阶段：小纹理和短线段，仍与原图很接近。"},
    "stage2": {"en": "Stage 2: combinations of textures into small shapes (spots, rims, ribs' outlines).",
               "zh": "第 2 阶段：纹理组合成小形状（斑点、边缘、肋骨轮廓等）。"},
    "stage3": {"en": "Stage 3: larger parts of the image, coarse grid; harder to name, more specific to the task.",
               "zh": "第 3 阶段：图像中更大的部分，网格更粗；更难命名，更针对任务。"},
    "stage4": {"en": "Stage 4 (last): the coarsest, most abstract maps; the answer is read from their averages.",
               "zh": "第 4 阶段（最后）：最粗、最抽象的特征图；答案由它们的平均值得出。"},
    "block1": {"en": "Block 1: local contrasts of the brain at 4 mm, e.g. tissue boundaries and CSF edges.",
               "zh": "第 1 块：4 mm 尺度的局部对比，如组织边界和脑脊液边缘。"},
    "block2": {"en": "Block 2: combinations of boundaries over about 1 cm, e.g. ventricle and sulcus shapes.",
               "zh": "第 2 块：约 1 厘米范围内边界的组合，如脑室和脑沟的形状。"},
    "block3": {"en": "Block 3: larger regions on a coarse grid; more specific to the atrophy the model learned.",
               "zh": "第 3 块：粗网格上的较大区域；更针对模型学到的萎缩模式。"},
    "head": {"en": "Head: a few summary maps on the coarsest grid, which the final layer reads directly.",
             "zh": "头部：最粗网格上的少数汇总图，最后一层直接读取它们。"},
}
for _k in range(1, 5):
    STAGE_TEXT[f"conv{_k}"] = {
        "en": f"Convolution block {_k} of the older app's network (after pooling); deeper blocks see larger regions.",
        "zh": f"旧版网络的第 {_k} 个卷积块（池化后）；越深的块看到的区域越大。"}


def stage_text(name: str, lang: str = "en") -> str:
    s = STAGE_TEXT.get(name, {"en": f"Layer {name}.", "zh": f"层 {name}。"})
    return s.get(lang) or s["en"]


def activation_stages(module: nn.Module) -> list:
    """(name, module) whose outputs are shown: the network's own list when it has one, else by architecture."""
    if hasattr(module, "activation_stages"):
        return module.activation_stages()
    kind = type(module).__name__
    if kind == "SmallResNet2D":
        stages, width, n = [("stem", module.stem)], None, 0
        blocks = list(module.features)
        for i, b in enumerate(blocks):  # a stage ends at its last block (the next block changes width)
            width = b.conv2.out_channels
            if i + 1 == len(blocks) or blocks[i + 1].conv2.out_channels != width:
                n += 1
                stages.append((f"stage{n}", b))
        return stages
    if kind == "BrainCNN3D":
        feats = list(module.features)
        relus = [m for m in feats if isinstance(m, nn.ReLU)]
        pools = [m for m in feats if isinstance(m, (nn.MaxPool3d, nn.AvgPool3d))]
        return [("stem", relus[0])] + [(f"block{i + 1}", p) for i, p in enumerate(pools)] + [("head", relus[-1])]
    if kind == "ClassificationModel3D":
        return [(f"conv{k}", getattr(module, f"Conv_{k}_mp")) for k in range(1, 5)]
    raise ValueError(f"no layer list for {kind}: give it an activation_stages() method")


@dataclass
class StageActivations:
    name: str
    shape: list  # (channels, *spatial) of the stage's output
    channels: list  # the top-K channel indices, strongest first
    means: list  # their mean activation
    maps: np.ndarray  # 2D: (K, h, w); 3D: (K, 3, ...) is kept as a list of three mid-plane slices per channel
    slices: list = field(default_factory=list)  # 3D only: per channel [axial, coronal, sagittal] 2D arrays

    def summary(self) -> dict:
        return {"name": self.name, "shape": self.shape, "channels": self.channels,
                "mean_activation": [round(m, 4) for m in self.means]}


@dataclass
class ActivationsAttribution(Attribution):
    stages: list = field(default_factory=list)


def _mid_planes(vol: np.ndarray) -> list:
    """The three mid-plane slices of an (x, y, z) RAS volume, oriented for display (nets/render/slice_renderer)."""
    from nets.render.slice_renderer import cut
    return [np.ascontiguousarray(cut(vol, p, vol.shape[{"axial": 2, "coronal": 1, "sagittal": 0}[p]] // 2))
            for p in PLANES]


class LayerActivations(Explainer):
    """Feature maps of every stage for one input. Owns a copy of the model (its hooks must not fire in other
    threads' forward passes through the shared model, as for Grad-CAM)."""
    method = "activations"
    signed = False

    def __init__(self, model: nn.Module, top: int = 8, layers=None):
        self.model = copy.deepcopy(model).eval()
        self.top = top
        self.stages = [(n, m) for n, m in activation_stages(self.model) if layers is None or n in layers]
        if not self.stages:
            known = ", ".join(n for n, _ in activation_stages(self.model))
            raise ValueError(f"no layer named {', '.join(layers)}; layers: {known}")
        self._lock = threading.Lock()
        self.forward_passes = 0

    def explain(self, x: torch.Tensor, target: int = 0) -> ActivationsAttribution:
        outs = {}
        with self._lock, torch.no_grad():  # hooks live only inside the lock: another thread's pass never fills outs
            hooks = [m.register_forward_hook(lambda _m, _i, o, n=n: outs.__setitem__(n, o.detach()[0]))
                     for n, m in self.stages]
            try:
                self.model(x)
                self.forward_passes += 1
            finally:
                for h in hooks:
                    h.remove()
        stages = [self._stage(n, outs[n]) for n, _ in self.stages]
        last = outs[self.stages[-1][0]].mean(0)[None, None]
        mode = "trilinear" if last.dim() == 5 else "bilinear"
        coarse = F.interpolate(last, size=x.shape[2:], mode=mode, align_corners=False)[0, 0].numpy()
        meta = {"stages": [s.summary() for s in stages], "top": self.top,
                "map": f"mean activation of {stages[-1].name}, upsampled to the input"}
        return ActivationsAttribution(coarse.astype(np.float32), int(target), self.method, signed=False, meta=meta,
                                      stages=stages)

    def _stage(self, name: str, act: torch.Tensor) -> StageActivations:
        means = act.flatten(1).mean(1)
        k = min(self.top, act.shape[0])
        order = torch.argsort(means, descending=True)[:k].tolist()
        maps = act[order].numpy().astype(np.float32)
        s = StageActivations(name, list(act.shape), order, [float(means[i]) for i in order], maps)
        if maps.ndim == 4:  # a volume: keep only the three mid-planes of each channel
            s.slices = [_mid_planes(v) for v in maps]
            s.maps = np.zeros((k, 0), np.float32)
        return s


def result_activations(result, top: int = 8, layers=None) -> ActivationsAttribution:
    """Layer activations of a Result (nets/result.py), computed once per input and setting and kept in its live
    handles (a second call does no forward pass). A summary is added to the result's JSON (`activations`)."""
    key = ("activations", top, tuple(layers) if layers else None)
    handles = result.handles
    if handles is None:
        raise ValueError("this result was released: its model input is no longer held")
    if key not in handles.attributions:
        m = result.model
        with m._lock:  # one hooked copy of the network per model and setting, built once
            explainer = m._explainers.setdefault(key, None) or LayerActivations(m.module, top, layers)
            m._explainers[key] = explainer
        handles.attributions[key] = explainer.explain(handles.model_input.x, result.target or 0)
    a = handles.attributions[key]
    result.extras["activations"] = a.meta["stages"]
    return a
