"""CLI: python -m nets.skin_background [--n N] [--update-card]

Does the skin model read the lesion or what surrounds it (skin, the dermoscope's dark vignette, image borders)?
On N validation images (nets/evaluation/explanation_inputs.py) and N HAM10000 images it never trained on
(../shared/data/skin_ham10000), with the lesion segmented by a colour threshold (Otsu on darkness, the component at
the centre; faint lesions and failures are counted and skipped):
- evidence share: the share of each map's positive evidence that falls on the lesion, divided by the lesion's share
  of the image (1 = no preference, > 1 = on the lesion);
- replacement: the lesion painted over with the surrounding skin's median colour (background kept), and the
  background painted over (lesion kept); how often the predicted class survives and how much P(class) keeps;
- vignette / border: the outer 12 % ring painted over with the skin colour; how often the class survives.
Prints JSON; --update-card writes it into the skin card (`explanation_checks.background`).
"""
import json

import numpy as np
import torch
from scipy import ndimage
from tqdm import tqdm
from nets.cli_contract import explanation_check_parser, exit_process, run_cli


def threshold_otsu(values: np.ndarray) -> float:
    """Otsu's threshold (the split maximising the between-class variance) of a set of grey values."""
    hist, edges = np.histogram(values, bins=256)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres) / np.maximum(w0, 1)
    m1 = ((hist * centres).sum() - np.cumsum(hist * centres)) / np.maximum(w1, 1)
    return float(centres[int(np.argmax(w0 * w1 * (m0 - m1) ** 2))])


def lesion_mask(rgb: np.ndarray):
    """Bool mask of the lesion (darker than the skin around it), the component nearest the centre; None if it
    covers < 2 % or > 70 % of the image or is less than 15 grey levels darker than the skin around it."""
    g = ndimage.gaussian_filter(rgb.astype(np.float32).mean(-1), 2)
    h, w = g.shape
    yy, xx = np.mgrid[:h, :w]
    r = np.hypot((yy - h / 2) / h, (xx - w / 2) / w)
    dark = g < threshold_otsu(g[r < 0.45])  # the vignette's corners do not set the threshold
    dark &= r < 0.48
    lab, n = ndimage.label(ndimage.binary_opening(dark, iterations=2))
    if n == 0:
        return None
    centre = r < 0.2
    overlap = ndimage.sum(centre, lab, range(1, n + 1))
    k = int(np.argmax(overlap)) + 1 if overlap.max() > 0 else int(np.argmax(ndimage.sum(dark, lab, range(1, n + 1)))) + 1
    m = ndimage.binary_fill_holes(lab == k)
    ring = ndimage.binary_dilation(m, iterations=8) & ~m
    clear = ring.any() and g[ring].mean() - g[m].mean() >= 15  # a faint lesion's outline is a guess: skip it
    return m if clear and 0.02 <= m.mean() <= 0.7 else None


def skin_colour(rgb: np.ndarray, lesion: np.ndarray) -> np.ndarray:
    """Median colour of the skin around the lesion (a ring 3-12 px outside it)."""
    ring = ndimage.binary_dilation(lesion, iterations=12) & ~ndimage.binary_dilation(lesion, iterations=3)
    return np.median(rgb[ring], 0) if ring.any() else np.median(rgb[~lesion], 0)


def border_ring(shape, frac=0.12) -> np.ndarray:
    h, w = shape
    m = np.zeros(shape, bool)
    bh, bw = int(h * frac), int(w * frac)
    m[:bh], m[-bh:], m[:, :bw], m[:, -bw:] = True, True, True, True
    return m


def study(loaded, images: list, progress=True) -> dict:
    from nets.interpret.attribution import map_function
    from nets.transforms.image_to_tensor import image_to_tensor
    c = loaded.config.input
    fns = {m: map_function(m, "skin") for m in loaded.config.explainers}
    share = {m: [] for m in fns}
    keep = {"lesion_removed": [], "background_removed": [], "border_removed": []}
    pkeep = {k: [] for k in keep}
    skipped = 0
    for img in tqdm(images, desc="skin background", disable=not progress):
        les = lesion_mask(img)
        if les is None:
            skipped += 1
            continue
        x = image_to_tensor(img, c)
        with torch.no_grad():
            p = torch.softmax(loaded.module(x), 1)[0]
        t = int(p.argmax())
        for m, fn in fns.items():
            pos = np.clip(fn(loaded.module, x, t), 0, None)
            if pos.sum() > 0:
                share[m].append(float(pos[les].sum() / pos.sum() / les.mean()))
        col = skin_colour(img, les)
        variants = {"lesion_removed": les, "background_removed": ~les, "border_removed": border_ring(les.shape) & ~les}
        xs = []
        for region in variants.values():
            v = img.copy()
            v[region] = col
            xs.append(image_to_tensor(v, c))
        with torch.no_grad():
            q = torch.softmax(loaded.module(torch.cat(xs)), 1)
        for k, qi in zip(variants, q):
            keep[k].append(int(qi.argmax()) == t)
            pkeep[k].append(float(qi[t] / p[t]))
    n = len(images) - skipped
    return {"n_images": len(images), "segmentation_failed": skipped,
            "evidence_on_lesion_vs_area": {m: {"median": round(float(np.median(v)), 2),
                                               "share_above_1": round(float(np.mean(np.array(v) > 1)), 3)}
                                           for m, v in share.items() if v},
            "class_kept_rate": {k: round(float(np.mean(v)), 3) for k, v in keep.items()} if n else {},
            "probability_kept_median": {k: round(float(np.median(v)), 3) for k, v in pkeep.items()} if n else {}}


def ham10000_images(n: int, size: int, seed: int = 0) -> list:
    from nets import SHARED_DATA
    from nets.io.image_loader import load_image_array
    files = sorted((SHARED_DATA / "skin_ham10000" / "images").glob("*/*.jpg"))
    pick = np.random.default_rng(seed).permutation(len(files))[:n]
    return [load_image_array(files[i].read_bytes(), size=size, mode="RGB") for i in pick]


def main(argv=None) -> int:
    ap = explanation_check_parser("python -m nets.skin_background", __doc__, n=100, tasks=("skin",))
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    from nets.evaluation.explanation_inputs import validation_images
    from nets.registry import REGISTRY
    m = REGISTRY.get(task="skin", weights=a.weights)
    val = [it["image"] for it in validation_images("skin", a.n)]
    res = {"model": m.name, **({"weights": a.weights} if a.weights else {}), "validation_split": study(m, val, not a.no_progress),
           "ham10000_unseen": study(m, ham10000_images(a.n, m.config.input["size"]), not a.no_progress)}
    if a.update_card:
        from nets.evaluation.explanation_card import record
        res["card"] = record(m, ("explanation_checks", "background"), res, "nets.skin_background")
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
