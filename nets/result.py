"""One analysis as a value: the answer (task, model, logits, calibrated probabilities, explained class, images,
regions, timings, input facts, warnings) plus, held explicitly, the live objects behind it (`LiveHandles`: the model
input, each computed attribution, its slice view, occlusion runs), so any slice, plane, class or method can be cut or
added later without recomputing. `to_json()` is the JSON every entry point answers."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ModelInput:
    """What the model saw. MRI: the tensor on its grid (engine MNI grid or the raw contract's voxel grid), that grid's
    affine, the input-to-engine world map (None for the raw contract) and the brain mask; 2D: the tensor, the decoded
    image and the picture the heatmaps are drawn on (drawn when first asked)."""
    x: object  # torch.Tensor (1, C, ...)
    grid_affine: np.ndarray | None = None
    world_map: np.ndarray | None = None
    brain_mask: np.ndarray | None = None
    image: object = None
    display: np.ndarray | None = None


@dataclass
class LiveHandles:
    """The live objects of one input, shared by every result made from it (another class keeps the same input and
    occlusion runs). Keys: (method, class index)."""
    model_input: ModelInput
    attributions: dict = field(default_factory=dict)  # (method, tgt) -> nets.interpret.attribution.Attribution
    views: dict = field(default_factory=dict)  # (method, tgt) -> SliceRenderer (MRI) / ImageExplanation (2D)
    explanations: dict = field(default_factory=dict)  # (method, tgt) -> the JSON entry listed in `explanations`
    occlusions: dict = field(default_factory=dict)  # setting -> (occlusion summary, cube changes) (Predictor.occlusion)
    occlusion_maps: dict = field(default_factory=dict)  # setting -> the occlusion map (bench/bench_mri.py)
    logit_offsets: np.ndarray | None = None  # added to the network's logits for the answer (the stated age's term)


@dataclass
class Result:
    run_id: str
    task: str
    model: object  # nets.registry.LoadedModel
    logits: np.ndarray
    probabilities: np.ndarray
    target: int | None
    renderer: object | None  # the explained class's slice view (MRI), None once released
    images: dict
    regions: list
    timings: dict
    input_info: dict
    warnings: list = field(default_factory=list)
    extras: dict = field(default_factory=dict)
    handles: LiveHandles | None = None

    @property
    def classes(self):
        return list(self.model.config.classes)

    @property
    def is_volume(self) -> bool:
        """A volume (MRI) result, by its model's input contract: slices in three planes, regions, 3D occlusion."""
        return self.model.config.input.is_volume

    @property
    def on_mni_grid(self) -> bool:
        """An MRI result on the engine's MNI grid (not the raw ADNI contract): occlusion and regions apply."""
        return self.is_volume and self.handles is not None and self.handles.model_input.world_map is not None

    def class_index(self, name: str) -> int:
        return self.classes.index(name)

    def view(self, method: str, target: int):
        """The slice view (MRI) or picture set (2D) of one computed explanation; None once released."""
        return self.handles.views.get((method, target)) if self.handles is not None else None

    def release(self, keep_shared: bool = False) -> None:
        """Drop what the result holds for a page (its slice view; unless keep_shared, the model input, maps and
        occlusion runs, which another class's result of the same input shares)."""
        self.renderer = None
        if not keep_shared:
            self.handles = None

    def to_json(self) -> dict:
        from nets.trust.uncertainty import headline, uncertainty
        cls = self.classes
        pred = cls[int(np.argmax(self.probabilities))]
        unsure = uncertainty(self.probabilities, cls)
        return {
            "run_id": self.run_id,
            "task": self.task,
            "model": self.model.name,
            "model_trained": self.model.trained,
            "classes": cls,
            "logits": [float(x) for x in self.logits],
            "probabilities": {c: float(p) for c, p in zip(cls, self.probabilities)},
            "prediction": pred,
            "prediction_name": self.model.config.class_names.get(pred, {}),
            "explained_class": cls[self.target] if self.target is not None else None,
            "images": self.images,
            "regions": self.regions,
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
            "input": self.input_info,
            "warnings": self.warnings,
            "notice": self.model.config.notice or "Research and teaching tool, not a medical device.",
            "decision_prior": self.model.class_prior,
            **unsure,
            "headline": {lang: headline(pred, unsure, lang) for lang in ("en", "zh")},
            "scope": self.model.card.get("scope") or self.model.config.scope,
            **self.extras,
        }
