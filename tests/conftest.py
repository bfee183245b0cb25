import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = (ROOT.parent / "shared" / "data").resolve()


def need_shared(*parts):
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} not available")
    return p


def need_file(path):
    if not Path(path).exists():
        pytest.skip(f"{path} not installed")
    return Path(path)


@pytest.fixture(scope="session")
def predictor(tmp_path_factory):
    from nets.predictor import Predictor
    return Predictor(imgs_root=tmp_path_factory.mktemp("imgs"))


@pytest.fixture(scope="session")
def demo_path():
    from nets.demo_volume import ensure_demo
    return ensure_demo()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


RUN_DIRS = {}  # a started app's url -> the temporary folder its visit log, uploads and images go to


def run_dir(url) -> Path:
    """The folder of the app at `url` (run_logs/, nii/ for uploads, imgs/): never the project's tracked folders."""
    return RUN_DIRS[url]


SERVER_FEEDBACK_DIRS = {}  # server URL -> the folder its feedback store writes into


@contextlib.contextmanager
def running_app(log_dir, script="demo01.py", *args):
    """A Python script (or "-m module") that starts the app, on a free loopback port, until the block ends. Its
    output goes to a file (an undrained pipe could block the server once full; the file also stays for a failing
    test); its visit log, uploads and images go under log_dir (XAI_RUN_LOGS, XAI_UPLOADS_DIR, XAI_IMGS_DIR)."""
    port = free_port()
    log_dir = Path(log_dir)
    log_path = log_dir / "server.log"
    log = open(log_path, "w")
    env = dict(os.environ, XAI_RUN_LOGS=str(log_dir / "run_logs"), XAI_UPLOADS_DIR=str(log_dir / "nii"),
               XAI_IMGS_DIR=str(log_dir / "imgs"), XAI_FEEDBACK_DIR=str(log_dir / "feedback"))
    SERVER_FEEDBACK_DIRS[f"http://127.0.0.1:{port}"] = log_dir / "feedback"  # users' feedback: never in feedback/
    proc = subprocess.Popen([sys.executable, *script.split(), "--host", "127.0.0.1", "--port", str(port), *args],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True, env=env)
    import urllib.request
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(log_path.read_text())
            time.sleep(0.5)
    url = f"http://127.0.0.1:{port}"
    RUN_DIRS[url] = log_dir
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The real app, started as a user would (python demo01.py)."""
    with running_app(tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny tensors: one torch thread for the module (two threads on a busy 2-core machine were 10x slower)."""
    import torch
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
