"""CLI: python -m nets.compare {chest,skin} [--data DIR] [--out DIR] [--models A,B] [--limit N]

Evaluates every registered model of the task whose weights are present (or --models) on the SAME validation split
(nets/model_comparison.py: nets/training/splits_2d.py's, by patient / lesion; the output says which, with a
fingerprint of its file list) and prints JSON: per model balanced accuracy, per-class recall, AUC, ECE, ms per image,
parameters, MB. Writes comparison.json (the table the page shows), a Markdown table and ROC / reliability /
confusion plots into --out (default data/model_save/comparison_<task>/). The default model stays the one
DEFAULT_RULE picks (nets/model_configs.py).
"""
import argparse
import json
import sys
from pathlib import Path

from nets import SHARED_DATA
from nets.cli_contract import JsonArgumentParser, exit_process, run_cli
from nets.errors import InputError

def markdown_table(result: dict) -> str:
    head = "| model | architecture | balanced acc. | AUC | ECE | per-class recall | ms / image | parameters | MB |"
    lines = [head, "|" + "---|" * 9]
    for r in result["models"]:
        rec = ", ".join(f"{c} {v:.2f}" for c, v in r["per_class_recall"].items() if v is not None)
        auc = f"{r['auc']:.3f}" if r["auc"] is not None else "-"
        lines.append(f"| {r['model']} | {r['architecture']} ({r['input_size']} px) | {r['balanced_accuracy']:.3f} | "
                     f"{auc} | {r['ece']:.3f} | {rec} | {r['ms_per_image']} | {r['parameters']:,} | {r['mb']} |")
    return "\n".join(lines) + "\n"


def update_card(model, result: dict, command: str) -> str:
    """A non-default model's card gets its comparison row, the split, the default rule and a sentence saying how it
    compares with the default (the default model's own card is its trainer's to write)."""
    from nets.training.model_card import card_path_for
    path = card_path_for(model.weights_path)
    card = json.loads(path.read_text())
    rows = {r["model"]: r for r in result["models"]}
    mine, default = rows[model.name], rows.get(result["default_model"])
    minutes = sum(h.get("seconds", 0) for h in (card.get("training") or {}).get("history", [])) / 60
    verdict = (f"Balanced accuracy {mine['balanced_accuracy']:.3f} vs {default['balanced_accuracy']:.3f} for the "
               f"default {default['model']} on the same {result['split']['n_val_images']} validation images "
               f"(AUC {mine['auc']:.3f} vs {default['auc']:.3f}); trained for "
               f"{len((card.get('training') or {}).get('history', []))} epochs ({minutes:.0f} min) on one CPU thread "
               "shared with other jobs, at 128 px: a small budget, so it is not the default and is not expected "
               "to be." if default else "")
    card["comparison"] = {"row": mine, "split": result["split"], "default_model": result["default_model"],
                          "default_rule": result["default_rule"], "is_default": False, "verdict": verdict,
                          "command": command, "probabilities": result["probabilities"]}
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str))
    return str(path)


def main(argv=None) -> int:
    ap = JsonArgumentParser(prog="python -m nets.compare", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task", choices=["chest", "skin"])
    ap.add_argument("--data", help="the shared data folder (default: ../shared/data)")
    ap.add_argument("--out", help="output folder (default: data/model_save/comparison_<task>/)")
    ap.add_argument("--models", help="comma-separated model names (default: every usable model of the task)")
    ap.add_argument("--limit", type=int, help="only N validation images (a fixed random subset; smoke runs)")
    ap.add_argument("--update-cards", action="store_true",
                    help="write each non-default model's row, the split and this command into its card")
    a = ap.parse_args(argv)
    from nets import PROJECT_ROOT
    from nets.model_comparison import compare_models, validation_split
    from nets.model_configs import CONFIGS, DEFAULT_MODEL_FOR_TASK, DEFAULT_RULE
    from nets.registry import REGISTRY
    names = [n.strip() for n in a.models.split(",")] if a.models else REGISTRY.usable(a.task)
    for n in names:
        if n not in CONFIGS or CONFIGS[n].task != a.task:
            raise InputError(f"'{n}' is not a registered {a.task} model; known: {', '.join(REGISTRY.usable(a.task))}")
    models = [REGISTRY.get(n) for n in names]
    data = Path(a.data or SHARED_DATA)
    if not data.is_dir():
        raise InputError(f"No data folder {data}.")
    split = validation_split(a.task, data, list(CONFIGS[DEFAULT_MODEL_FOR_TASK[a.task]].classes), limit=a.limit)
    out = Path(a.out or PROJECT_ROOT / "data" / "model_save" / f"comparison_{a.task}")
    result = {"task": a.task, "default_model": DEFAULT_MODEL_FOR_TASK[a.task], "default_rule": DEFAULT_RULE,
              **compare_models(models, split, out)}
    result["plots"] = {k: Path(v).name for k, v in result["plots"].items()}  # relative to the folder
    (out / "comparison.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    (out / "comparison.md").write_text(markdown_table(result))
    if a.update_cards:
        command = "python -m nets.compare " + " ".join(sys.argv[1:] if argv is None else argv)
        result["cards_updated"] = [update_card(m, result, command) for m in models
                                   if m.name != DEFAULT_MODEL_FOR_TASK[a.task] and m.weights_path]
    print(json.dumps({**result, "out": str(out)}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
