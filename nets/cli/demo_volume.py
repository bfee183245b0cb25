"""CLI: python -m nets.demo_volume -> writes nii/demo.nii (nets/demo_volume.py) and prints {"demo", "bytes"}."""
import json

from nets.cli_contract import JsonArgumentParser, exit_process, run_cli


def main(argv=None) -> int:
    JsonArgumentParser(prog="python -m nets.demo_volume", description=__doc__).parse_args(argv)
    from nets.demo_volume import ensure_demo
    p = ensure_demo()
    print(json.dumps({"demo": str(p), "bytes": p.stat().st_size}))
    return 0


if __name__ == "__main__":
    exit_process(run_cli(main))
