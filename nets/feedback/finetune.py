"""Fine-tune a 2D model on the users' corrected examples plus a replay sample of its original training data.

The replay sample keeps the model from forgetting what it knew (a few dozen feedback images alone would pull it
towards them); the loss is class-weighted as in the trainer; BatchNorm statistics stay frozen (small batches of a skewed mix would shift them). Before and after:
the fixed validation split (nets/training/splits_2d.py, never trained on: a feedback input that is a validation
image is left out) and the feedback set itself. The new weights are never the default when validation balanced
accuracy drops by more than MAX_DROP (1 point): `default_decision` says so and the card records it.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F

from nets.training.metrics import classification_metrics
from nets.transforms.image_to_tensor import image_to_tensor

MAX_DROP = 0.01  # balanced accuracy, as a fraction


@torch.no_grad()
def probabilities(module, images: np.ndarray, contract: dict, batch: int = 64) -> np.ndarray:
    """Plain softmax, one forward pass (no flip averaging, no temperature: the fine-tuned model has none fitted)."""
    module.eval()
    return np.concatenate([F.softmax(module(image_to_tensor(images[i:i + batch], contract)), 1).numpy()
                           for i in range(0, len(images), batch)])


def metrics_on(module, images, labels, classes, contract) -> dict:
    if len(images) == 0:
        return {"n": 0}
    m = classification_metrics(labels, probabilities(module, images, contract), classes)
    return {k: m[k] for k in ("n", "accuracy", "balanced_accuracy", "per_class_recall", "auc")}


def default_decision(before: dict, after: dict, max_drop: float = MAX_DROP) -> dict:
    """May the fine-tuned weights become the default? Not when validation balanced accuracy drops by > max_drop."""
    b, a = before["balanced_accuracy"], after["balanced_accuracy"]
    drop = b - a
    ok = drop <= max_drop + 1e-12
    why = (f"validation balanced accuracy {b:.4f} -> {a:.4f} ({-drop * 100:+.2f} points)"
           + ("" if ok else f": drops by more than {max_drop * 100:.0f} point; the fine-tuned weights are NOT marked "
                            "as the default"))
    return {"may_be_default": bool(ok), "rule": f"refused when validation balanced accuracy drops by more than "
                                                f"{max_drop * 100:.0f} point", "reason": why}


def _freeze_batchnorm(module):
    for m in module.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.eval()


def finetune_module(module, contract: dict, task: str, feedback: tuple, replay: tuple, epochs: int = 3,
                    lr: float = 1e-4, batch_size: int = 32, seed: int = 0, feedback_weight: int = 4) -> dict:
    """Fine-tune a copy of `module` on feedback images (repeated `feedback_weight` times per epoch) mixed with the
    replay images. feedback, replay: (uint8 images (N, H, W[, C]), int labels). Returns {"module", "steps", ...}."""
    from nets.training.augment_2d import augment_batch
    torch.manual_seed(seed)
    model = copy.deepcopy(module)
    for p in model.parameters():
        p.requires_grad_(True)
    fx, fy = feedback
    rx, ry = replay
    images = np.concatenate([np.repeat(fx, feedback_weight, 0), rx]) if len(rx) else np.repeat(fx, feedback_weight, 0)
    labels = np.concatenate([np.repeat(fy, feedback_weight), ry]) if len(ry) else np.repeat(fy, feedback_weight)
    k = int(max(labels.max() + 1, model(image_to_tensor(images[:1], contract)).shape[1]))
    counts = np.bincount(labels, minlength=k)
    class_w = torch.tensor(counts.sum() / (k * np.maximum(counts, 1)), dtype=torch.float32)  # as the trainer
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    steps, losses = 0, []
    for _ in range(epochs):
        model.train()
        _freeze_batchnorm(model)
        order = rng.permutation(len(labels))
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            # contiguous: torch 2.13's one-thread backward through a narrow conv crashed on the permuted view
            x = augment_batch(image_to_tensor(images[idx], contract).contiguous(), task, gen)
            loss = F.cross_entropy(model(x), torch.from_numpy(labels[idx]), weight=class_w)
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
            losses.append(loss.item())
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return {"module": model, "steps": steps, "epochs": epochs, "lr": lr, "batch_size": batch_size,
            "feedback_weight": feedback_weight, "n_train_images": int(len(labels)),
            "final_loss": round(float(np.mean(losses[-5:])), 4) if losses else None}


def finetune_and_check(module, classes, contract, task, feedback, replay, validation, **kw) -> dict:
    """Metrics before, fine-tune, metrics after (validation and feedback set), and the default decision."""
    before = {"validation": metrics_on(module, *validation, classes, contract),
              "feedback": metrics_on(module, *feedback, classes, contract)}
    run = finetune_module(module, contract, task, feedback, replay, **kw)
    after = {"validation": metrics_on(run["module"], *validation, classes, contract),
             "feedback": metrics_on(run["module"], *feedback, classes, contract)}
    return {"module": run.pop("module"), "training": run, "before": before, "after": after,
            "decision": default_decision(before["validation"], after["validation"])}
