"""CLI: python -m nets.train {chest,skin,mri} --data DIR [--epochs N] [--out PATH]  -> prints JSON."""
import argparse
import json
import sys

from nets import SHARED_DATA
from nets.cli_contract import JsonArgumentParser, exit_process, run_cli


def main(argv=None):
    ap = JsonArgumentParser(prog="python -m nets.train", description=__doc__)
    ap.add_argument("task", choices=["chest", "skin", "mri"])
    ap.add_argument("--data", help="data folder (default: ../shared/data/<task folder>)")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--out", help="weights path (default: the registry's path under data/model_save/)")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--limit", type=int, default=None, help="use only N images/samples (smoke tests)")
    ap.add_argument("--variants", type=int, default=None,
                    help="mri: simulated volumes per training subject and severity level")
    ap.add_argument("--workers", type=int, default=None, help="mri: processes that simulate the training set")
    ap.add_argument("--init", help="mri: start from these weights (fine-tuning)")
    ap.add_argument("--mechanisms", help="mri: comma-separated atrophy mechanisms (default push,replace,radial)")
    ap.add_argument("--full-nuisance", action=argparse.BooleanOptionalAction, default=None,
                    help="mri: training volumes also get small affine, blur, bias field (default: yes)")
    ap.add_argument("--anatomy-warp", type=float, default=None, metavar="VOXELS",
                    help="mri: first warp every training brain (level 0 too) by a random smooth field of up to "
                         "VOXELS (2 mm each): other plausible anatomies")
    ap.add_argument("--ventricle-variation", type=float, default=None, metavar="SHARE",
                    help="mri: healthy ventricle size/asymmetry differences at every level (signed, up to SHARE of "
                         "the level-4 ventricle shift)")
    ap.add_argument("--stem", choices=["stride2", "blur"], help="mri: network stem (blur: anti-aliased)")
    ap.add_argument("--pool", choices=["max", "avg"], help="mri: pooling between blocks")
    ap.add_argument("--arch", help="chest/skin: train the task's registered model of this architecture (e.g. "
                                    "SmallConvNeXt2D; default: the default model's)")
    ap.add_argument("--splits-2d", action="store_true", help="chest/skin: the split of nets/training/splits_2d.py "
                                                               "(--data: the shared data folder)")
    ap.add_argument("--no-final-eval", action="store_true",
                    help="mri: skip the card's held-out evaluation (run nets.evaluate mri --update-card later)")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    kw = {k: v for k, v in {"batch_size": a.batch_size, "lr": a.lr}.items() if v is not None}
    if a.task in ("chest", "skin"):
        from nets.training.splits_2d import TASK_FOLDERS
        from nets.training.train_image_classifier import train_image_classifier
        data = a.data or str(SHARED_DATA if a.splits_2d else
                             SHARED_DATA / TASK_FOLDERS[a.task])
        res = train_image_classifier(a.task, data, epochs=a.epochs or 20, out=a.out, seed=a.seed,
                                     threads=a.threads, limit=a.limit, progress=not a.no_progress,
                                     architecture=a.arch, splits_2d=a.splits_2d, **kw)
    else:
        from nets.training.train_brain_model import train_brain_model
        data = a.data or str(SHARED_DATA)
        kw.update({k: v for k, v in {"variants": a.variants, "workers": a.workers, "init": a.init}.items()
                   if v is not None})
        if a.no_final_eval:
            kw["final_eval"] = False
        if a.full_nuisance is not None:
            kw["full_nuisance"] = a.full_nuisance
        if a.anatomy_warp is not None:
            kw["anatomy_warp_voxels"] = a.anatomy_warp
        if a.ventricle_variation is not None:
            kw["ventricle_variation"] = a.ventricle_variation
        if a.mechanisms:
            kw["mechanisms"] = tuple(m.strip() for m in a.mechanisms.split(","))
        kw.update({"epochs": a.epochs} if a.epochs else {})
        arch = {k: v for k, v in {"stem": a.stem, "pool": a.pool}.items() if v}
        if arch:
            kw["arch"] = arch
        res = train_brain_model(data, out=a.out, seed=a.seed, threads=a.threads,
                                limit=a.limit, progress=not a.no_progress, **kw)
    json.dump(res, sys.stdout, indent=2, default=str)
    print()


if __name__ == "__main__":
    exit_process(run_cli(main))
