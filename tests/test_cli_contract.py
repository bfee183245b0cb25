"""nets.predict's error contract: every failure (bad arguments, unreadable names, bad headers) is exactly one line of
JSON on stderr with a non-zero exit; no usage text, traceback or library log line."""
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def predict(*args):
    return subprocess.run([sys.executable, "-m", "nets.predict", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def only_json_error(p) -> dict:
    assert p.returncode != 0 and p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    j = json.loads(lines[0])
    assert set(j) == {"error", "message"} and j["message"]
    return j


@pytest.mark.parametrize("args,code", [
    (["x.nii", "--task", "brain"], "bad_arguments"),
    ([], "bad_arguments"),
    (["x.nii", "--no-such-option"], "bad_arguments"),
], ids=["bad_task", "no_path", "unknown_option"])
def test_argument_errors_are_one_json_line(args, code):
    j = only_json_error(predict(*args))
    assert j["error"] == code


def test_a_300_character_file_name_is_a_json_error_not_a_traceback(tmp_path):
    j = only_json_error(predict(tmp_path / ("a" * 300 + ".nii"), "--out", tmp_path))
    assert j["error"] == "unreadable_file" and "too long" in j["message"]


def test_a_missing_file_is_a_json_error(tmp_path):
    assert only_json_error(predict(tmp_path / "absent.nii", "--out", tmp_path))["error"] == "invalid_input"


def test_a_pipe_or_device_is_not_called_missing(tmp_path):
    import os
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/null"):
        j = only_json_error(predict(path, "--out", tmp_path))
        assert j["error"] == "invalid_input" and "Not a regular file" in j["message"], j


def test_output_paths_that_cannot_be_written_are_refused_before_any_work(tmp_path):
    """--out naming a file, --report or --save-relevance in a missing folder or naming a folder: one JSON error
    and nothing on stdout (before, the answer was printed and then the report failed, or a traceback)."""
    from tests.conftest import ROOT as root
    image = root / "readme_static" / "test" / "chest_RG1_UNCR.png"
    a_file = tmp_path / "somefile"
    a_file.write_text("keep me")
    for args, word in (([ "--out", a_file], "--out must be a folder"),
                       (["--report", tmp_path / "absent" / "r.pdf"], "--report: the folder"),
                       (["--report", tmp_path], "--report names a folder"),
                       (["--save-relevance", tmp_path / "absent" / "r.nii.gz"], "--save-relevance: the folder")):
        j = only_json_error(predict(image, "--no-explain", *args))
        assert j["error"] == "invalid_input" and word in j["message"], j
    assert a_file.read_text() == "keep me"
    j = only_json_error(predict(tmp_path, "--report", tmp_path / "r.pdf"))  # a folder: one report cannot hold it
    assert j["error"] == "invalid_input" and "for one file" in j["message"]


@pytest.mark.parametrize("case", ["dim0_is_9", "qform_voxel_size_zero_sform_unset", "extension_past_end_of_file",
                                  "corrupt_gz"])
def test_bad_headers_print_no_nibabel_lines_before_the_json(case, tmp_path):
    from tests.bad_inputs import bad_corpus
    raw = {n: r for n, r, _ in bad_corpus()}[case]
    f = tmp_path / "scan.nii"
    f.write_bytes(raw)
    only_json_error(predict(f, "--out", tmp_path))


from nets.cli.scripts import VERBS  # noqa: E402  every console verb, so a new one cannot be left out

EVERY_CLI = sorted({f"nets.{v}" for v in VERBS} | {"gui.logs", "nets.training.train_brain_age",
                                                    "nets.evaluation.cn_operating_point"})


@pytest.mark.parametrize("module", EVERY_CLI)
def test_every_cli_answers_bad_arguments_with_one_json_line(module):
    p = subprocess.run([sys.executable, "-m", module, "--no-such-option"], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 2
    assert only_json_error(p)["error"] == "bad_arguments"


def test_exit_process_keeps_the_output_the_exit_code_and_the_atexit_handlers(tmp_path):
    """CLIs end with os._exit (no interpreter teardown): unflushed output, atexit work and the code must survive."""
    code = ("import atexit; atexit.register(lambda: open(r'%s', 'w').write('done')); "
            "from nets.cli_contract import exit_process; print('answer', end=''); exit_process(3)" % (tmp_path / "f"))
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (p.returncode, p.stdout, (tmp_path / "f").read_text()) == (3, "answer", "done")


@pytest.mark.parametrize("check", [["nets.skin_background"], ["nets.evaluate_faithfulness", "skin"],
                                   ["nets.sanity_check", "mri"]], ids=lambda c: c[0])
def test_explanation_checks_refuse_to_record_a_candidate_in_the_card(check, tmp_path):
    """A candidate's check (--weights) is for reading, never written into the installed model's card."""
    p = subprocess.run([sys.executable, "-m", *check, "--weights", str(tmp_path / "cand.pt"), "--update-card"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode != 0 and only_json_error(p)["error"] == "bad_arguments"
