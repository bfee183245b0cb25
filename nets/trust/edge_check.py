"""Does a skin answer hold without the photo's edge? The outer ring of the model's input (RING_FRACTION of each
side, where a dermoscope's dark vignette or frame sits) is painted in the colour of the skin around the lesion (the
lesion itself, where it can be outlined, is kept) and the network answers again.

Why: the skin background study (README, *The skin background question*) found that part of the installed model's
melanoma recall comes from the photo's edge, which differs between the archives that gave most melanomas and the
rest; no single map shows that, but one more forward pass per answer does."""
from __future__ import annotations

import numpy as np
import torch

from nets.trust.lesion_regions import border_ring, lesion_mask, skin_colour

# of each side (29 % of the picture); the ring widths' rates on validation photos: `python -m nets.skin_background`
# (the skin card's explanation_checks.background.edge_check)
RING_FRACTION = 0.08


def input_as_uint8(x: torch.Tensor, contract) -> np.ndarray:
    """(1, 3, H, W) normalised model input -> (H, W, 3) uint8, the picture the network saw."""
    mean = torch.tensor(contract.mean, dtype=x.dtype).view(-1, 1, 1)
    std = torch.tensor(contract.std, dtype=x.dtype).view(-1, 1, 1)
    rgb = ((x[0] * std + mean) * 255).round().clamp(0, 255).to(torch.uint8)
    return rgb.permute(1, 2, 0).numpy()


def edge_painted(rgb: np.ndarray, fraction: float = RING_FRACTION) -> tuple:
    """(picture with its outer ring painted in the skin's colour, whether the lesion could be outlined and kept)."""
    ring = border_ring(rgb.shape[:2], fraction)
    lesion = lesion_mask(rgb)
    if lesion is not None:
        ring &= ~lesion
        colour = skin_colour(rgb, lesion)
    else:  # no outline: the colour of the band just inside the ring
        colour = np.median(rgb[border_ring(rgb.shape[:2], 2 * fraction) & ~ring], 0)
    out = rgb.copy()
    out[ring] = colour
    return out, lesion is not None


def edge_logits(model: torch.nn.Module, x: torch.Tensor, contract, fraction: float = RING_FRACTION) -> tuple:
    """(logits of the input with its edge painted over, lesion outlined)."""
    from nets.transforms.image_to_tensor import image_to_tensor
    painted, outlined = edge_painted(input_as_uint8(x, contract), fraction)
    with torch.no_grad():
        return model(image_to_tensor(painted, contract))[0].numpy(), outlined


def check_answer(m, x: torch.Tensor, probs, fraction: float = RING_FRACTION) -> dict:
    """The edge check of an answer: m a LoadedModel, x its input, probs the answer's shown probabilities; the
    painted input's probabilities are calibrated as the answer's were."""
    from nets.trust.gate_service import calibrated_probabilities
    z, outlined = edge_logits(m.module, x, m.config.input, fraction)
    q = calibrated_probabilities(m, z)
    top, after = int(np.argmax(probs)), int(np.argmax(q))
    cls = m.config.classes
    check = {"ring_fraction": fraction, "lesion_outlined": outlined, "class": cls[top],
             "p_before": round(float(probs[top]), 4), "p_after": round(float(q[top]), 4),
             "class_after": cls[after], "kept": after == top}
    return {**check, "sentence": held_sentence(check)} if check["kept"] else check


def edge_warning(check: dict) -> str:
    """The warning of an answer that does not hold without the photo's edge (nets/report/warning_text.py has its
    Chinese)."""
    return (f"With the photo's outer edge painted over in the skin's colour, the answer changes from {check['class']} "
            f"to {check['class_after']} (P({check['class']}) {check['p_before']:.2f} -> {check['p_after']:.2f}): it "
            "leans on the edge of the photo (such as the dermoscope's frame or dark corners), not only on the lesion. "
            "Treat it with caution.")


def held_sentence(check: dict) -> dict:
    """{en, zh}: the answer held without the photo's edge (page and PDF print it under the probabilities)."""
    c, p0, p1 = check["class"], check["p_before"], check["p_after"]
    return {"en": f"Edge check: with the photo's outer edge painted over in the skin's colour, the answer stays {c} "
                  f"(P {p0:.2f} -> {p1:.2f}), so it does not rest on the dermoscope's frame or dark corners.",
            "zh": f"边缘检查：把照片外缘涂成皮肤颜色后，结果仍为 {c}（P {p0:.2f} -> {p1:.2f}），"
                  "因此它并不依赖皮肤镜的边框或暗角。"}
