"""run.sh / test.sh / .ci/run and their shared set-up: syntax, help, the package list, the system-package step
(driven with stand-ins for id, sudo, dpkg-query and apt-get, so nothing is installed), the requirements check and
the CJK font fallback, and run.sh starting the app (with everything installed). No pip install, no apt."""
import os
import re
import subprocess
import sys
import warnings

import pytest

from tests.conftest import ROOT

SCRIPTS = ["run.sh", "test.sh", "scripts/setup_env.sh", ".ci/run"]
LEVELS, SCOPES = {"required", "optional"}, {"run", "test"}


def package_rows(path=ROOT / "apt-packages.txt"):
    rows = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, level, scope, *reason = line.split()
            rows.append((name, level, scope, " ".join(reason)))
    return rows


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_syntax(script):
    r = subprocess.run(["bash", "-n", str(ROOT / script)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("script", ["run.sh", "test.sh", ".ci/run"])
def test_scripts_are_executable(script):
    assert os.access(ROOT / script, os.X_OK)


@pytest.mark.parametrize("script, words", [("run.sh", "--host"), ("test.sh", "pytest")])
def test_help_prints_usage_and_sets_nothing_up(script, words):
    r = subprocess.run([str(ROOT / script), "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith("usage:") and words in r.stdout
    assert "==>" not in r.stdout  # no set-up step ran


def test_ci_runs_exactly_the_readme_test_command():
    commands = [ln.strip() for ln in (ROOT / ".ci/run").read_text().splitlines()
                if ln.strip() and not ln.lstrip().startswith(("#", "set ", "cd "))]
    assert commands == ["./test.sh"]


def test_package_list_parses_and_says_what_is_lost():
    rows = package_rows()
    assert rows and len({r[0] for r in rows}) == len(rows)
    for name, level, scope, reason in rows:
        assert re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", name), name
        assert level in LEVELS and scope in SCOPES, (name, level, scope)
        assert len(reason) > 20, f"{name}: say what is lost without it"
    assert any(r[1] == "required" for r in rows)


def test_readme_table_matches_package_list():
    readme = (ROOT / "README.md").read_text()
    by = {"run": "run.sh, test.sh", "test": "test.sh"}
    for name, level, scope, _ in package_rows():
        row = next((ln for ln in readme.splitlines() if ln.startswith(f"| `{name}` |")), None)
        assert row is not None, f"README's package table lacks {name}"
        assert [c.strip() for c in row.split("|")[2:4]] == [level, by[scope]], row


# --- the system-package step, with stand-ins on PATH -------------------------------------------------------------
STUBS = {
    "id": 'echo "$FAKE_UID"',
    "sudo": '[ "$FAKE_SUDO_OK" = 1 ] || exit 1; shift; [ "$1" = true ] || "$@"',  # `sudo -n CMD`
    "dpkg-query": 'grep -qx "${@: -1}" "$FAKE_INSTALLED" && echo "install ok installed"',
    "apt-get": """echo "$*" >>"$FAKE_APT_CALLS"
[ "$2" = update ] && exit "${FAKE_UPDATE_RC:-0}"
shift 3
for p in "$@"; do grep -qx "$p" "$FAKE_UNAVAILABLE" && { echo "E: Unable to locate package $p"; exit 100; }; done
printf '%s\\n' "$@" >>"$FAKE_INSTALLED\"""",
}


def system_step(tmp_path, scope="test", uid=0, installed=(), unavailable=(), sudo_ok=False, update_rc=0):
    """Run xai_system_packages against a three-package list; (exit code, output, apt-get calls)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in STUBS.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    (tmp_path / "packages.txt").write_text("# name level scope reason\n"
                                           "need-a  required  run   the app cannot start\n"
                                           "nice-b  optional  run   labels look plain\n"
                                           "test-c  optional  test  browser tests are skipped\n")
    for f, names in (("installed", installed), ("unavailable", unavailable), ("calls", ())):
        (tmp_path / f).write_text("".join(n + "\n" for n in names))
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", FAKE_UID=str(uid),
               FAKE_INSTALLED=str(tmp_path / "installed"), FAKE_UNAVAILABLE=str(tmp_path / "unavailable"),
               FAKE_APT_CALLS=str(tmp_path / "calls"), FAKE_SUDO_OK=str(int(sudo_ok)), FAKE_UPDATE_RC=str(update_rc), XAI_PACKAGES_FILE=str(tmp_path / "packages.txt"),
               XAI_LOG_DIR=str(tmp_path / "logs"))
    env.pop("XAI_SKIP_SYSTEM_PACKAGES", None)
    r = subprocess.run(["bash", "-c", f'source "{ROOT}/scripts/setup_env.sh"; xai_system_packages {scope}'],
                       env=env, capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr, (tmp_path / "calls").read_text().splitlines()


def test_nothing_missing_runs_no_apt(tmp_path):
    rc, out, calls = system_step(tmp_path, installed=["need-a", "nice-b", "test-c"])
    assert rc == 0 and calls == [] and "all present" in out


def test_root_installs_only_the_missing_ones_after_one_update(tmp_path):
    rc, out, calls = system_step(tmp_path, installed=["nice-b"])
    assert rc == 0, out
    assert calls == ["-q update", "-q install -y need-a test-c"]


def test_run_scope_leaves_test_packages_alone(tmp_path):
    rc, out, calls = system_step(tmp_path, scope="run", installed=["need-a", "nice-b"])
    assert rc == 0 and calls == [] and "test-c" not in out


def test_unavailable_optional_package_does_not_block_the_others(tmp_path):
    rc, out, calls = system_step(tmp_path, unavailable=["test-c"])
    assert rc == 0, out
    assert "not installed" in out and "test-c" in out
    assert "-q install -y need-a" in calls and "-q install -y nice-b" in calls


def test_required_package_apt_cannot_install_fails_in_one_sentence(tmp_path):
    rc, out, _ = system_step(tmp_path, unavailable=["need-a"])
    assert rc == 1
    assert [ln for ln in out.splitlines() if ln.startswith("setup failed:")] == [out.splitlines()[-1]]
    assert "need-a" in out.splitlines()[-1]


def test_password_less_sudo_installs(tmp_path):
    rc, out, calls = system_step(tmp_path, uid=1000, sudo_ok=True, installed=["need-a", "nice-b"])
    assert rc == 0 and "via sudo" in out, out
    assert calls == ["-q update", "-q install -y test-c"]


def test_failed_update_still_tries_to_install(tmp_path):
    rc, out, calls = system_step(tmp_path, update_rc=100, installed=["need-a", "nice-b"])
    assert rc == 0 and "update failed" in out and calls[-1] == "-q install -y test-c"


def test_without_privileges_names_the_packages_and_continues_without_optional_ones(tmp_path):
    rc, out, calls = system_step(tmp_path, uid=1000, installed=["need-a"])
    assert rc == 0 and calls == []
    assert "sudo apt-get install -y nice-b test-c" in out and "continuing" in out


def test_without_privileges_a_missing_required_package_stops_the_set_up(tmp_path):
    rc, out, calls = system_step(tmp_path, uid=1000, installed=["nice-b", "test-c"])
    assert rc == 1 and calls == []
    assert out.splitlines()[-1].startswith("setup failed:") and "sudo apt-get install -y need-a" in out


# --- the Python requirements check --------------------------------------------------------------------------------
def requirements_met(tmp_path, text, constraints=None):
    (tmp_path / "req.txt").write_text(text)
    if constraints is not None:
        (tmp_path / "con.txt").write_text(constraints)
    return subprocess.run([sys.executable, str(ROOT / "scripts/requirements_met.py"), str(tmp_path / "req.txt")],
                          capture_output=True, text=True, timeout=30)


def test_requirements_met_when_installed(tmp_path):
    r = requirements_met(tmp_path, "# comment\npytest>=1.0  # why\n-c con.txt\n", "never-installed-pkg==1.0\n")
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("text, constraints, named", [
    ("never-installed-pkg>=1\n", None, "never-installed-pkg"),
    ("pytest<1\n", None, "pytest"),
    ("-c con.txt\npytest\n", "pytest<1\n", "pytest"),
    ("--index-url http://x\n", None, "pip"),
])
def test_requirements_unmet_names_the_problem(tmp_path, text, constraints, named):
    r = requirements_met(tmp_path, text, constraints)
    assert r.returncode == 1 and named in r.stdout


def test_project_requirements_are_met_here():
    r = subprocess.run([sys.executable, str(ROOT / "scripts/requirements_met.py"), str(ROOT / "requirement.txt")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout


# --- CJK font fallback --------------------------------------------------------------------------------------------
def _missing_glyph_warnings():
    """Draw the probability chart's Chinese axis label (matplotlib object API, as gui.app does) and return the
    'Glyph ... missing from font' warnings."""
    import io
    from matplotlib.figure import Figure
    fig = Figure(figsize=(3, 1))
    fig.add_subplot(1, 1, 1).set_xlabel("probability / 概率")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_cjk_fallback_absent_font_changes_nothing(tmp_path):
    from nets.render.cjk_font import enable_cjk_fallback
    assert enable_cjk_fallback(tmp_path / "no-such-font.ttc") is False


def test_chinese_label_is_drawn_with_the_cjk_font():
    import matplotlib
    from nets.render.cjk_font import CJK_FONT_FILE, enable_cjk_fallback
    if not CJK_FONT_FILE.exists():
        pytest.skip("Debian fonts-wqy-microhei not installed")
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):  # control: DejaVu alone lacks the glyphs
        assert _missing_glyph_warnings()
    assert enable_cjk_fallback()
    assert _missing_glyph_warnings() == []


def test_page_enables_the_cjk_fallback_when_imported():
    calls = [ln for ln in (ROOT / "gui/app.py").read_text().splitlines() if ln.startswith("enable_cjk_fallback()")]
    assert calls, "gui/app.py must call enable_cjk_fallback() at import, before any chart is drawn"


def test_run_sh_sets_up_then_starts_the_app_and_prints_its_link(tmp_path):
    """The newcomer's command: with everything installed its set-up steps are quick, then the page answers at the
    link it printed. System packages are left to the stand-in tests above (XAI_SKIP_SYSTEM_PACKAGES)."""
    import signal
    import time
    import urllib.request
    from tests.conftest import free_port
    port = free_port()
    env = dict(os.environ, XAI_SKIP_SYSTEM_PACKAGES="1", XAI_LOG_DIR=str(tmp_path / "logs"), PYTHON=sys.executable,
               XAI_RUN_LOGS=str(tmp_path / "run_logs"), XAI_UPLOADS_DIR=str(tmp_path / "nii"),
               XAI_IMGS_DIR=str(tmp_path / "imgs"), XAI_FEEDBACK_DIR=str(tmp_path / "feedback"))
    log = open(tmp_path / "run.log", "w")
    proc = subprocess.Popen([str(ROOT / "run.sh"), "--host", "127.0.0.1", "--port", str(port), "--no-warm"],
                            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        page = None
        for _ in range(240):
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "run.log").read_text()
                time.sleep(0.5)
        assert page and "PyWebIO" in page, (tmp_path / "run.log").read_text()
        out = (tmp_path / "run.log").read_text()
        assert "==> python requirements" in out and "==> demo volume" in out
        assert f"http://127.0.0.1:{port}/" in out
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
        log.close()


FAKE_PYTHON = """#!/usr/bin/env bash
# stands in for python: a version, unmet requirements, and a pip that fails with $FAKE_PIP_ERROR
case "$1" in
  -c) echo "3.11.7 at /fake/env" ;;
  -m) echo "$FAKE_PIP_ERROR" >&2; exit 1 ;;
  *) echo "torch (not installed)"; exit 1 ;;
esac
"""


@pytest.mark.parametrize("pip_error,sentence", [
    ("ERROR: No matching distribution found for torch==2.13.0", "pip could not install the Python requirements"),
    ("error: externally-managed-environment", "this Python is managed by the system; make a virtual environment"),
])
def test_pip_failure_stops_the_set_up_in_one_sentence(tmp_path, pip_error, sentence):
    fake = tmp_path / "python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    env = dict(os.environ, PYTHON=str(fake), FAKE_PIP_ERROR=pip_error, XAI_LOG_DIR=str(tmp_path / "logs"))
    r = subprocess.run(["bash", "-c", f'source "{ROOT}/scripts/setup_env.sh"; xai_python_requirements'],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("setup failed: " + sentence), r.stderr
    assert "missing: torch (not installed)" in r.stdout
    assert pip_error in (tmp_path / "logs" / "pip.log").read_text()  # the log the sentence names
