"""The fast path for answers without explanations: a model's ONNX export run by ONNX Runtime.

`python -m nets.export onnx --model NAME [--int8]` writes data/model_save/<weights stem>.onnx (float) and
<stem>.int8.onnx (static int8, calibrated on training images) and records each in the model card under "onnx".
`OnnxModelRegistry` hands the predictor the same LoadedModel as the torch registry (config, card) with an ONNX
forward in place of the torch module; a model without a matching export is refused with a clear message.
With --int8, answers whose top two classes are close are re-checked by the float export
(nets.checked_int8_module). Explanations need gradients, so they always run on the torch model.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from nets.errors import ModelUnavailableError
from nets.registry import REGISTRY, LoadedModel
from nets.model_card import sha256_file

KINDS = {False: "float", True: "int8"}


class OnnxExportMissingError(ModelUnavailableError):
    code = "onnx_export_missing"


def export_path(weights_path, int8: bool) -> Path:
    p = Path(weights_path)
    return p.with_name(p.stem + (".int8.onnx" if int8 else ".onnx"))


def export_command(name: str, int8: bool) -> str:
    return f"python -m nets.export onnx --model {name}" + (" --int8" if int8 else "")


class OnnxModule:
    """Callable like the torch module on a (N, C, H, W) float tensor: returns the logits as a torch tensor."""

    def __init__(self, path: Path, threads: int):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = max(1, threads)
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, x):
        import torch
        a = np.ascontiguousarray(x.detach().numpy() if hasattr(x, "detach") else x, dtype=np.float32)
        return torch.from_numpy(self.session.run(None, {self.input_name: a})[0])


def checked_export(model: LoadedModel, int8: bool) -> Path:
    """The export recorded in the model's card for these exact weights, or OnnxExportMissingError."""
    kind = KINDS[int8]
    what = "calibrated int8 ONNX export" if int8 else "ONNX export"
    fix = f"run `{export_command(model.name, int8)}` first"
    entry = (model.card.get("onnx") or {}).get(kind)
    if not model.trained or model.weights_path is None:
        raise OnnxExportMissingError(f"{model.name} has no trained weights, so no {what}.")
    path = export_path(model.weights_path, int8)
    if not entry or not path.exists():
        raise OnnxExportMissingError(f"{model.name} has no {what} ({path.name}): {fix}.")
    if entry.get("source_weights_sha256") != model.card.get("sha256"):
        raise OnnxExportMissingError(f"The {what} of {model.name} was made from other weights than the current "
                                     f"ones: {fix} again.")
    if entry.get("sha256") != sha256_file(path):
        raise OnnxExportMissingError(f"{path.name} does not match the sha256 in the model card: {fix} again.")
    return path


class OnnxModelRegistry:
    """Drop-in for nets.registry.ModelRegistry in a Predictor: same models and cards, ONNX Runtime forward."""

    def __init__(self, int8: bool = False, base=REGISTRY, threads: int | None = None):
        self.int8 = int8
        self.base = base
        self.threads = threads
        self._models: dict = {}
        self._lock = threading.Lock()

    def names(self):
        return self.base.names()

    def usable(self, task: str) -> list:
        return self.base.usable(task)

    def get(self, name: str | None = None, task: str | None = None, weights: str | None = None) -> LoadedModel:
        if weights is not None:
            raise OnnxExportMissingError("--weights cannot be combined with the ONNX runtime: the exports are made "
                                         "from the registered weights (python -m nets.export onnx).")
        torch_model = self.base.get(name, task=task)
        with self._lock:
            if torch_model.name not in self._models:
                import torch
                path = checked_export(torch_model, self.int8)
                module = self._module(torch_model, path, self.threads or torch.get_num_threads())
                self._models[torch_model.name] = LoadedModel(torch_model.config, module, torch_model.card,
                                                             str(path), True)
            return self._models[torch_model.name]

    def _module(self, torch_model: LoadedModel, path: Path, threads: int):
        """Float: the plain session. int8: int8 with its close calls re-checked by the float export, at the
        margin recorded in the card (an int8 export without one is from before the check: export again)."""
        if not self.int8:
            return OnnxModule(path, threads)
        from nets.checked_int8_module import CheckedInt8Module
        margin = ((torch_model.card.get("onnx") or {}).get("int8") or {}).get("float_check", {}).get("margin")
        if margin is None:
            raise OnnxExportMissingError(f"The int8 export of {torch_model.name} has no float-check margin in its "
                                         f"card: run `{export_command(torch_model.name, True)}` again.")
        return CheckedInt8Module(OnnxModule(path, threads), OnnxModule(checked_export(torch_model, False), threads),
                                 margin)
