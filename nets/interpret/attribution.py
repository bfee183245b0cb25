"""One explainer interface for every method (zennit's Attributor / MONAI style):

    explainer = build_explainer(method, loaded_model)      # method from the model config: "lrp", "grad-cam", ...
    a = explainer.explain(x, target)                        # -> Attribution(map, target, method, signed, meta)

`map` has the input's spatial shape (channels summed). Signed maps (LRP, occlusion) are positive where the input
speaks FOR the target class and negative where it speaks AGAINST it; unsigned maps (Grad-CAM) are >= 0 and only
say where the network looked. Every method keeps its own module (lrp.py, grad_cam.py, occlusion.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

METHODS = ("lrp", "grad-cam", "occlusion")
# what a person reads on the page and in the JSON; cost: rough seconds on 2 CPU cores (the page shows it)
METHOD_NAMES = {"lrp": "LRP (layer-wise relevance propagation)", "grad-cam": "Grad-CAM",
                "occlusion": "Occlusion"}


# seconds on 2 CPU cores incl. the faithfulness check and PNGs, measured by bench/ (README); the page shows them
EXPECTED_SECONDS = {("mri", "lrp"): 1, ("mri", "occlusion"): 10, ("2d", "grad-cam"): 1, ("2d", "lrp"): 1,
                    ("2d", "occlusion"): 2}


def expected_seconds(task: str, method: str) -> int:
    return EXPECTED_SECONDS.get(("mri" if task == "mri" else "2d", method), 5)


@dataclass
class Attribution:
    map: np.ndarray  # input's spatial shape: (H, W) or (D, H, W)
    target: int
    method: str
    signed: bool
    meta: dict = field(default_factory=dict)  # JSON-ready facts (layer, window, forwards, conservation, ...)
    extra: dict = field(default_factory=dict, repr=False)  # by-products for the caller, not JSON (occlusion cubes)

    def limit(self) -> float:
        """Colour-scale limit: the 99.5th percentile of |map| (a few extreme pixels do not wash the rest out)."""
        a = np.abs(self.map[self.map != 0])
        return float(np.percentile(a, 99.5)) if a.size else 1.0


class Explainer:
    """Base: subclasses set `method`, `signed` and implement explain(x, target) -> Attribution."""
    method = ""
    signed = True

    def explain(self, x: torch.Tensor, target: int) -> Attribution:
        raise NotImplementedError


def build_explainer(method: str, loaded, reference: np.ndarray | None = None, **options) -> Explainer:
    """The explainer for `method` on a LoadedModel (nets/registry.py), built from its config (model card): the methods
    it offers, the Grad-CAM layer, the input contract (2D occlusion window; a volume's occlusion needs the healthy
    `reference` brain on the model's grid; options: window, stride, every, progress)."""
    cfg = loaded.config
    if method not in cfg.explainers:
        raise ValueError(f"{cfg.name} offers {', '.join(cfg.explainers)}, not {method}")
    if method == "lrp":
        from nets.interpret.lrp import LRPAttributor
        return LRPAttributor(loaded.module)
    if method == "grad-cam":
        from nets.interpret.grad_cam import GradCAMAttributor
        return GradCAMAttributor(loaded.module, cfg.explainer_layers.get("grad-cam", "features"))
    if method == "occlusion":
        from nets.interpret.occlusion import ImageOcclusion, VolumeOcclusion
        if cfg.input.is_volume:
            if reference is None:
                raise ValueError("Occlusion of a volume needs a reference brain (Predictor.occlusion passes one).")
            return VolumeOcclusion(loaded.module, reference, **options)
        size = cfg.input.size
        return ImageOcclusion(loaded.module, window=size // 8, stride=size // 16)
    raise ValueError(f"unknown method {method}; known: {METHODS}")


def map_function(method: str, task: str, reference: np.ndarray | None = None, mask: np.ndarray | None = None):
    """(model, x, target) -> map, for checks that explain many inputs or many versions of a model (faithfulness
    evaluation, randomisation sanity check). MRI occlusion needs the healthy reference brain and the brain mask."""
    def explain(model, x, target):
        if method == "occlusion" and task == "mri":
            from nets.interpret.occlusion import VolumeOcclusion
            return VolumeOcclusion(model, reference).explain(x, target).map
        if method == "lrp":
            from nets.interpret.lrp import LRPAttributor
            return LRPAttributor(model).explain(x, target).map
        if method == "grad-cam":
            from nets.interpret.grad_cam import GradCAMAttributor
            return GradCAMAttributor(model).explain(x, target).map
        from nets.interpret.occlusion import ImageOcclusion
        size = x.shape[-1]
        return ImageOcclusion(model, window=size // 8, stride=size // 16).explain(x, target).map
    return explain
