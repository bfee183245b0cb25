"""Start the web app:  python demo01.py [--host H] [--port P]   (default port 6006)."""
import argparse

from nets.demo_volume import ensure_demo


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="0.0.0.0")
    ap.add_argument("--port", type=int, default=6006)
    ap.add_argument("--no-warm", action="store_true", help="load models lazily (faster start, slower first run)")
    a = ap.parse_args()
    ensure_demo()
    from gui.server import serve
    serve(a.host, a.port, warm=not a.no_warm)


if __name__ == "__main__":
    main()
