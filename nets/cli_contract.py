"""The CLIs' error contract: every failure, argument errors included, is one line of JSON {"error", "message"} on
stderr and a non-zero exit (2: the input or the arguments; 1: a bug on our side). No usage text, no traceback
(set XAI_DEBUG=1 to see one), no library log lines before the JSON."""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
import warnings

from nets.errors import InputError


class ArgumentsError(InputError):
    code = "bad_arguments"


class JsonArgumentParser(argparse.ArgumentParser):
    """argparse that raises ArgumentsError instead of printing usage and exiting (--help still prints help)."""

    def error(self, message):
        raise ArgumentsError(f"{message} (see {self.prog} --help)")


def print_error(code: str, message: str, **extra) -> None:
    print(json.dumps({"error": code, "message": message, **extra}, ensure_ascii=False), file=sys.stderr, flush=True)


def run_cli(main, argv=None) -> int:
    """Run main(argv) -> exit code under the contract."""
    for library in ("nibabel", "PIL", "pydicom"):  # their warnings about odd files would break one-line stderr
        warnings.filterwarnings("ignore", module=library + r"(\..*)?")
    try:
        rc = main(argv)
        return rc if isinstance(rc, int) else 0  # a main that returns nothing (or a value) has succeeded
    except InputError as e:  # to_dict: a gate's refusal adds task, can_force and the gate's verdict
        extra = {k: v for k, v in e.to_dict().items() if k not in ("error", "message")}
        print_error(e.code, e.message, **extra)
        return 2
    except OSError as e:  # e.g. a file name longer than the file system allows, a folder without permission
        print_error("unreadable_file", f"The file cannot be read: {e.strerror or type(e).__name__}.")
        return 2
    except KeyboardInterrupt:
        print_error("interrupted", "Interrupted.")
        return 130
    except Exception as e:  # a bug, not the input
        if os.environ.get("XAI_DEBUG"):
            traceback.print_exc()
        cause = getattr(e, "cause", None) or type(e).__name__  # nets.service.InternalError names the bug's type
        print_error("internal_error", f"Something went wrong on our side ({cause}).")
        return 1


def exit_process(code: int):
    """End a CLI process without the interpreter's teardown: flush, run the atexit handlers, then os._exit.
    Freeing torch, the models and their caches at exit took ~0.6 s of a 4 s cold `python -m nets.predict`."""
    import atexit
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    atexit._run_exitfuncs()
    os._exit(code)


class _CheckParser(JsonArgumentParser):
    def parse_args(self, args=None, namespace=None):
        a = super().parse_args(args, namespace)
        if a.weights and a.update_card:
            self.error("--update-card records the installed model's check: leave out --weights")
        return a


def explanation_check_parser(prog: str, doc: str, n: int, tasks=("chest", "skin", "mri")) -> JsonArgumentParser:
    """The arguments every explanation check shares (nets.evaluate_faithfulness, nets.sanity_check,
    nets.skin_background): the task, how many inputs, which methods, the data folder, --update-card, --threads,
    --weights (a candidate not yet installed: its check is printed, never written into the installed model's card)."""
    import argparse
    ap = _CheckParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", help="a candidate weights file for the task's default model (e.g. a fine-tune not "
                                      "yet installed); not with --update-card")
    if len(tasks) > 1:
        ap.add_argument("task", choices=list(tasks))
    ap.add_argument("--n", type=int, default=n)
    if len(tasks) > 1:
        ap.add_argument("--methods", help="comma-separated (default: every method the model offers)")
        ap.add_argument("--data", help="data folder (default: ../shared/data/<task folder>)")
    ap.add_argument("--update-card", action="store_true", help="write the result into the model card")
    ap.add_argument("--threads", type=int, default=1)
    return ap

