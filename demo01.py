"""Start the web app:  python demo01.py [--host H] [--port P] [--weights NAME=PATH ...]   (default port 6006).

--weights adni-seed-3dcnn=/path/myModel_state_dict_130.pth makes that model selectable on the page and in the API
(also settable as XAI_WEIGHTS="name=path;name2=path2").
"""
import argparse
import os

from nets.demo_volume import ensure_demo


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="0.0.0.0")
    ap.add_argument("--port", type=int, default=6006)
    ap.add_argument("--no-warm", action="store_true", help="load models lazily (faster start, slower first run)")
    ap.add_argument("--weights", action="append", default=[], metavar="NAME=PATH",
                    help="weights for a registered model, e.g. adni-seed-3dcnn=/data/myModel_state_dict_130.pth")
    ap.add_argument("--retention-hours", type=float, help="remove uploads and images older than this (default 24, "
                                                          "env XAI_RETENTION_HOURS)")
    ap.add_argument("--uploads-max-mb", type=float, help="keep at most this many MB of uploads under nii/, oldest "
                                                         "removed first (default 1024, env XAI_UPLOADS_MAX_MB)")
    ap.add_argument("--imgs-max-mb", type=float, help="the same for rendered images under imgs/ (default 1024, env "
                                                      "XAI_IMGS_MAX_MB)")
    a = ap.parse_args()
    from gui import uploads
    uploads.configure(a.retention_hours, a.uploads_max_mb, a.imgs_max_mb)
    from nets.registry import REGISTRY
    pairs = [w for w in os.environ.get("XAI_WEIGHTS", "").split(";") if w.strip()] + a.weights
    for pair in pairs:
        name, _, path = pair.partition("=")
        if not path:
            ap.error(f"--weights expects NAME=PATH, got {pair!r}")
        REGISTRY.set_weights(name.strip(), path.strip())
    ensure_demo()
    from gui.server import serve
    serve(a.host, a.port, warm=not a.no_warm)


if __name__ == "__main__":
    main()
