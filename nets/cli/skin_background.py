"""CLI: python -m nets.skin_background [--n N] [--edge-n N] [--update-card]

Does the skin model read the lesion or what surrounds it (skin, the dermoscope's dark vignette, image borders)?
On N validation images (nets/evaluation/explanation_inputs.py) and N HAM10000 images it never trained on
(../shared/data/skin_ham10000), with the lesion segmented by a colour threshold (Otsu on darkness, the component at
the centre; faint lesions and failures are counted and skipped):
- evidence share: the share of each map's positive evidence that falls on the lesion, divided by the lesion's share
  of the image (1 = no preference, > 1 = on the lesion);
- replacement: the lesion painted over with the surrounding skin's median colour (background kept), and the
  background painted over (lesion kept); how often the predicted class survives and how much P(class) keeps;
- vignette / border: the outer 12 % ring painted over with the skin colour; how often the class survives;
- edge check: the page's per-answer check (nets/trust/edge_check.py) at rings of 4-12 % on --edge-n other
  validation photos: how often it changes the answer, and how often changed and kept answers were right.
Prints JSON; --update-card writes it into the skin card (`explanation_checks.background`).
"""
import json

import numpy as np
import torch
from tqdm import tqdm
from nets.cli_contract import explanation_check_parser, exit_process, run_cli
from nets.trust.lesion_regions import border_ring, lesion_mask, skin_colour


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


EDGE_RINGS = (0.04, 0.06, 0.08, 0.12)  # of each side; the service's edge check uses RING_FRACTION (0.08)


def edge_check_rates(loaded, items: list, rings=EDGE_RINGS, progress=True) -> dict:
    """The per-answer edge check (nets/trust/edge_check.py) at several ring widths on labelled photos: how often it
    changes the answer, and how often the changed and the kept answers were right."""
    from nets.trust.edge_check import RING_FRACTION, check_answer
    from nets.trust.gate_service import calibrated_probabilities
    rows = {f: [] for f in rings}
    for it in tqdm(items, desc="edge check", disable=not progress):
        with torch.no_grad():
            probs = calibrated_probabilities(loaded, loaded.module(it["x"])[0].numpy())
        right = int(np.argmax(probs)) == it["label"]
        for f in rings:
            c = check_answer(loaded, it["x"], probs, f)
            rows[f].append((c["kept"], right, c["lesion_outlined"]))
    return {"n_images": len(items), "service_ring": RING_FRACTION,
            "rings": {str(f): ring_rates(*map(np.array, zip(*r))) for f, r in rows.items()} if items else {}}


def ring_rates(kept: np.ndarray, right: np.ndarray, outlined: np.ndarray) -> dict:
    changed = ~kept
    rate = lambda v: round(float(v.mean()), 3) if v.size else None
    return {"answer_changed_rate": rate(changed), "n_changed": int(changed.sum()),
            "right_when_changed": rate(right[changed]), "right_when_kept": rate(right[kept]),
            "lesion_outlined_rate": rate(outlined)}


def ham10000_images(n: int, size: int, seed: int = 0) -> list:
    from nets import SHARED_DATA
    from nets.io.image_loader import load_image_array
    files = sorted((SHARED_DATA / "skin_ham10000" / "images").glob("*/*.jpg"))
    pick = np.random.default_rng(seed).permutation(len(files))[:n]
    return [load_image_array(files[i].read_bytes(), size=size, mode="RGB") for i in pick]


def main(argv=None) -> int:
    ap = explanation_check_parser("python -m nets.skin_background", __doc__, n=100, tasks=("skin",))
    ap.add_argument("--edge-n", type=int, default=300, help="validation photos for the edge check's rates (0: skip)")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    from nets.evaluation.explanation_inputs import validation_images
    from nets.registry import REGISTRY
    m = REGISTRY.get(task="skin", weights=a.weights)
    val = [it["image"] for it in validation_images("skin", a.n)]
    res = {"model": m.name, **({"weights": a.weights} if a.weights else {}), "validation_split": study(m, val, not a.no_progress),
           "ham10000_unseen": study(m, ham10000_images(a.n, m.config.input["size"]), not a.no_progress)}
    if a.edge_n:
        res["edge_check"] = edge_check_rates(m, validation_images("skin", a.edge_n, seed=1), progress=not a.no_progress)
    if a.update_card:
        from nets.evaluation.explanation_card import record
        res["card"] = record(m, ("explanation_checks", "background"), res, "nets.skin_background")
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
