"""Model registry: each model is loaded once per process (weights_only=True) and shared across threads."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import torch

from nets import PROJECT_ROOT
from nets import networks
from nets.errors import ModelUnavailableError
from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK, ModelConfig
from nets.model_card import read_card, sha256_file


@dataclass
class LoadedModel:
    config: ModelConfig
    module: torch.nn.Module
    card: dict
    weights_path: str | None
    trained: bool
    _explainers: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self):
        return self.config.name

    @property
    def class_prior(self) -> dict | None:
        """The class prior the model answers under ({class: probability}; python -m nets.calibrate writes it into
        the card's decision_prior), None for the training prior."""
        return (self.card.get("decision_prior") or {}).get("prior")

    def explainer(self, method: str | None = None):
        """The explainer for `method` (default: the config's first, shown with every prediction), built once;
        explain(x, target) -> Attribution (nets/interpret/attribution.py)."""
        from nets.interpret.attribution import build_explainer
        method = method or self.config.explainers[0]
        with self._lock:
            if method not in self._explainers:
                self._explainers[method] = build_explainer(method, self)
            return self._explainers[method]

    def summary(self) -> dict:
        c = self.card
        m = c.get("metrics", {})
        return {"name": self.name, "task": self.config.task, "classes": list(self.config.classes),
                "trained": self.trained, "training_data": self.config.training_data, "licence": self.config.licence,
                "notice": self.config.notice, "explanation": self.config.explanation,
                "input": self.config.input.to_json(), "sha256": c.get("sha256"), "date": c.get("date"),
                "decision_prior": self.class_prior, "metrics": m}


def _resolve(path) -> Path:
    p = Path(path)
    return p if p.is_absolute() else (PROJECT_ROOT / p).resolve()


class ModelRegistry:
    def __init__(self):
        self._models: dict = {}
        self._lock = threading.Lock()
        self._weights: dict = {}  # model name -> weights path set by the operator (demo01.py --weights, env)

    def names(self):
        return list(CONFIGS)

    def set_weights(self, name: str, path) -> None:
        """Use these weights whenever `name` is asked for without explicit weights (page, API, CLI)."""
        if name not in CONFIGS:
            raise ModelUnavailableError(f"Unknown model '{name}'. Known: {', '.join(CONFIGS)}")
        with self._lock:
            self._weights[name] = str(_resolve(path))
            self._models.pop((name, None), None)

    def usable(self, task: str) -> list:
        """Models for a task whose weights are present (the default model always is, trained or not)."""
        out = []
        for name, cfg in CONFIGS.items():
            if cfg.task == task and (name == DEFAULT_MODEL_FOR_TASK[task]
                                     or _resolve(self._weights.get(name) or cfg.weights).exists()):
                out.append(name)
        return out

    def get(self, name: str | None = None, task: str | None = None, weights: str | None = None) -> LoadedModel:
        if name is None:
            name = DEFAULT_MODEL_FOR_TASK[task or "mri"]
        if name not in CONFIGS:
            raise ModelUnavailableError(f"Unknown model '{name}'. Known: {', '.join(CONFIGS)}")
        key = (name, str(weights) if weights else None)
        with self._lock:
            if key not in self._models:
                self._models[key] = self._load(CONFIGS[name], weights or self._weights.get(name))
            return self._models[key]

    def _load(self, cfg: ModelConfig, weights) -> LoadedModel:
        wpath = _resolve(weights or cfg.weights)
        card = read_card(wpath)
        # the card declares the exact architecture its weights were trained with (timm-style); the config's
        # arch_kwargs are the fallback for weights without a card
        arch_kwargs = cfg.arch_kwargs
        if card.get("architecture") == cfg.architecture and isinstance(card.get("arch_kwargs"), dict):
            arch_kwargs = card["arch_kwargs"]
        module = getattr(networks, cfg.architecture)(**arch_kwargs)
        trained = False
        if wpath.exists():
            try:
                sd = torch.load(wpath, map_location="cpu", weights_only=True)
                module.load_state_dict(sd)
            except Exception as e:
                raise ModelUnavailableError(f"Weights {wpath.name} do not fit {cfg.architecture}: {e}") from None
            trained = True
            if card.get("sha256") and weights is None and card["sha256"] != sha256_file(wpath):
                raise ModelUnavailableError(f"{wpath.name} does not match the sha256 in its model card.")
        elif weights is not None or cfg.external_weights:
            raise ModelUnavailableError(f"Weights not found: {wpath}")
        else:
            torch.manual_seed(0)  # untrained architecture, deterministic; flagged in every result
            card = {**cfg.to_json(), "trained": False, "metrics": {}}
        module.eval()
        for p in module.parameters():
            p.requires_grad_(False)
        # channels-last weights: the same numbers (to 1e-6; the LRP map of demo.nii is identical), but oneDNN's
        # convolutions run faster on them (2 idle cores: 8 volumes 0.31 -> 0.14 s, 32 chest films 0.29 -> 0.23 s),
        # which the many forward passes of occlusion and of the faithfulness check feel most
        if any(isinstance(m, torch.nn.Conv3d) for m in module.modules()):
            module.to(memory_format=torch.channels_last_3d)
        elif any(isinstance(m, torch.nn.Conv2d) for m in module.modules()):
            module.to(memory_format=torch.channels_last)
        return LoadedModel(cfg, module, card, str(wpath) if wpath.exists() else None, trained)


REGISTRY = ModelRegistry()
