"""python -m nets.compare: the CLI lives in nets/cli/compare.py; this name keeps every existing command line (and import)
working."""
import sys

import nets.cli.compare as _cli

if __name__ == "__main__":
    from nets.cli_contract import exit_process, run_cli
    exit_process(run_cli(_cli.main))
sys.modules[__name__] = _cli
