"""Grad-CAM for the 2D classifiers: one forward + one backward on the last feature stage, per input.

The explainer owns a copy of the model: its forward hook would otherwise also fire in other threads' plain forward
passes through the shared model (another user's request) and break them.
"""
import copy
import threading

import torch
import torch.nn.functional as F

from nets.interpret.attribution import Attribution, Explainer


class GradCAM:
    def __init__(self, model, layer: str):
        """layer: name of the feature stage in `model` (e.g. "features")."""
        self.model = copy.deepcopy(model).eval()
        self.layer = dict(self.model.named_modules())[layer]
        self._lock = threading.Lock()

    def explain(self, x: torch.Tensor, target: int | None = None):
        """Return (cam in [0,1] at x's spatial size, logits)."""
        store = {}

        def hook(_m, _i, out):
            out.retain_grad()
            store["a"] = out

        with self._lock, torch.enable_grad():
            x = x.detach().clone().requires_grad_(True)  # weights are frozen; grads flow from the input
            h = self.layer.register_forward_hook(hook)
            try:
                logits = self.model(x)
            finally:
                h.remove()
            t = int(logits.argmax(1)) if target is None else int(target)
            self.model.zero_grad(set_to_none=True)
            logits[0, t].backward()
            a, g = store["a"], store["a"].grad
            w = g.mean(dim=(2, 3), keepdim=True)
            cam = F.relu((w * a).sum(1, keepdim=True))
            cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
            cam = cam / cam.max().clamp_min(1e-12)
        return cam.detach().numpy(), logits.detach()


class GradCAMAttributor(Explainer):
    """Grad-CAM behind the common interface: an unsigned map in [0, 1] (where the network looked for the class)."""
    method = "grad-cam"
    signed = False

    def __init__(self, model, layer: str = "features"):
        self._cam = GradCAM(model, layer)

    def explain(self, x: torch.Tensor, target: int) -> Attribution:
        cam, logits = self._cam.explain(x, int(target))
        return Attribution(cam, int(target), self.method, False, {"layer": "last residual stage"})
