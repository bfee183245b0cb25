"""Console scripts (pyproject.toml [project.scripts]): one function per CLI verb, run under the JSON error contract."""
import importlib

VERBS = ("predict", "train", "evaluate", "evaluate_faithfulness", "sanity_check", "skin_background", "occlusion",
         "calibrate", "fit_trust", "export", "demo_volume", "activations", "compare", "finetune")


def _console_script(verb: str):
    def run() -> int:
        from nets.cli_contract import exit_process, run_cli
        exit_process(run_cli(importlib.import_module(f"nets.cli.{verb}").main))
    run.__name__ = verb
    run.__doc__ = f"The console script of python -m nets.{verb}."
    return run


globals().update({verb: _console_script(verb) for verb in VERBS})
