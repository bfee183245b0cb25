"""What the predictor asks before it shows an answer: the model's gate (loaded once per weights file), the
calibrated probabilities, and the refusal / warning that follow from the gate's verdict."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from nets.errors import NotAChestXrayError, NotAT1BrainError, NotDermoscopyError
from nets.trust.input_gate import ImageGate, Verdict, gate_path_for, refusal_message
from nets.trust.temperature_scaling import calibrated

REFUSALS = {"chest": NotAChestXrayError, "skin": NotDermoscopyError, "mri": NotAT1BrainError}
_gates: dict = {}
_lock = threading.Lock()


def image_gate(m) -> ImageGate | None:
    """The gate fitted for these exact weights (its sha256 must match the card's), else None."""
    if not m.weights_path:
        return None
    key = m.weights_path
    with _lock:
        if key not in _gates:
            p = gate_path_for(m.weights_path)
            g = ImageGate.load(p) if p.exists() else None
            if g is not None and m.card.get("sha256") and g.weights_sha256 != m.card["sha256"]:
                g = None  # fitted for other weights: no gate rather than a wrong one
            _gates[key] = g
        return _gates[key]


def brain_gate(m):
    """The MRI gate fitted for these weights, else None."""
    from nets.trust.brain_contrast import BrainGate
    if not m.weights_path:
        return None
    key = ("mri", m.weights_path)
    with _lock:
        if key not in _gates:
            p = gate_path_for(m.weights_path)
            g = BrainGate.load(p) if p.exists() else None
            if g is not None and m.card.get("sha256") and g.weights_sha256 != m.card["sha256"]:
                g = None
            _gates[key] = g
        return _gates[key]


def temperature(m) -> float:
    return float((m.card.get("calibration") or {}).get("temperature") or 1.0)


def calibrated_probabilities(m, logits) -> np.ndarray:
    """The shipped probabilities of a loaded model (its card's `calibration`): see card_probabilities."""
    return card_probabilities(m.card, logits)


def card_probabilities(card: dict, logits) -> np.ndarray:
    """softmax(logits / T) (+ class offsets, + the top-label map when the card has them); for a model answering
    under a decision prior (MRI) the prior's offsets are taken out before dividing and put back after, so the
    temperature calibrates the evidence and the prior stays as set."""
    z = np.asarray(logits, np.float64)
    cal = card.get("calibration") or {}
    t = float(cal.get("temperature") or 1.0)
    off = np.asarray((card.get("decision_prior") or {}).get("logit_offsets") or np.zeros_like(z), np.float64)
    if cal.get("prior_offsets_kept") and off.shape == z.shape:
        return calibrated((z - off) / t + off, 1.0).astype(np.float32)
    bias = cal.get("class_bias")
    probs = calibrated(z, t, bias if bias is not None and len(bias) == len(z) else None)
    if cal.get("top_label"):  # nets/trust/top_label_calibration.py: the answered class's probability re-mapped
        from nets.trust.top_label_calibration import apply_top_label
        probs = apply_top_label(probs, cal["top_label"])
    return probs.astype(np.float32)


def act_on(task: str, verdict: Verdict | None, force: bool, message: str | None = None) -> list:
    """Refuse (raise the task's typed error) or return the warnings that go with the answer."""
    if verdict is None:
        return []
    if verdict.level == "refuse":
        msg = message or refusal_message(task, verdict)
        if not force:
            raise REFUSALS[task](msg, task, verdict.to_json())
        return [f"Answered only because you asked (force): the input gate would have refused it "
                f"({'; '.join(verdict.reasons) or 'unlike the training data'}). Treat the answer as unreliable."]
    if verdict.level == "flag":
        return [f"Unusual input for this model ({'; '.join(verdict.reasons)}): treat the answer with caution."]
    return []


def no_gate_warning(task: str) -> str:
    return (f"No input gate is fitted for these weights: the {task} model answers whatever it is given "
            "(python -m nets.fit_trust fits one).")


__all__ = ["image_gate", "brain_gate", "temperature", "calibrated_probabilities", "card_probabilities", "act_on", "no_gate_warning", "Path"]
