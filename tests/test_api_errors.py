"""The REST API under bad requests: every error is a JSON {error, message} with a 4xx/5xx status (never Tornado's
HTML), bodies over the limit are refused before they are read, bad files are answered before the compute queue,
and a full queue answers 503 with Retry-After. Real servers (demo01.py) on loopback, with small limits."""
import contextlib
import json
import os
import socket
import time
from unittest import mock
from urllib.parse import urlparse

import pytest
import requests

from tests.conftest import ROOT, running_app

CHEST = ROOT / "readme_static" / "test" / "chest_RG1_UNCR.png"
LIMIT_MB = 2


@contextlib.contextmanager
def app_with_env(log_dir, env):
    with mock.patch.dict(os.environ, env):
        cm = running_app(log_dir, "demo01.py", "--no-warm")
        url = cm.__enter__()
    try:
        yield url
    finally:
        cm.__exit__(None, None, None)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with app_with_env(tmp_path_factory.mktemp("api"), {"XAI_MAX_UPLOAD_MB": str(LIMIT_MB)}) as url:
        yield url


def json_error(r, status):
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"].startswith("application/json")
    j = r.json()
    assert set(j) == {"error", "message"} and j["error"] and j["message"]
    return j


def test_wrong_method_is_json_405_with_allow(api):
    j = json_error(requests.get(api + "/api/predict", timeout=10), 405)
    assert j["error"] == "method_not_allowed"
    assert requests.get(api + "/api/predict", timeout=10).headers["Allow"] == "POST"
    r = requests.delete(api + "/api/health", timeout=10)
    json_error(r, 405)
    assert r.headers["Allow"] == "GET"


@pytest.mark.parametrize("method,path", [("GET", "/api/nope"), ("POST", "/api/predict/extra"),
                                         ("GET", "/no/such/file.js"), ("DELETE", "/api/anything")])
def test_unknown_addresses_are_json_404(api, method, path):
    assert json_error(requests.request(method, api + path, timeout=10), 404)["error"] == "not_found"


def raw_post(url, body: bytes, content_type: str):
    return requests.post(url + "/api/predict", data=body, headers={"Content-Type": content_type}, timeout=30)


def multipart(filename: bytes, content: bytes, boundary=b"XyZ") -> bytes:
    return (b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
            b"\"\r\nContent-Type: application/octet-stream\r\n\r\n" + content + b"\r\n--" + boundary + b"--\r\n")


@pytest.mark.parametrize("body,ctype", [
    (b"--XyZ\r\ngarbage without headers", "multipart/form-data; boundary=XyZ"),
    (multipart(b"x.png", CHEST.read_bytes()), "multipart/form-data"),  # no boundary
    (multipart(b"x.png", b"abc")[:-10], "multipart/form-data; boundary=XyZ"),  # no final boundary
], ids=["no_part_headers", "no_boundary", "truncated"])
def test_malformed_multipart_is_json_400(api, body, ctype):
    json_error(raw_post(api, body, ctype), 400)


@pytest.mark.parametrize("name", [b"a\x00b.png", b"a\nb.png", b"a\rb.png"], ids=["nul", "newline", "cr"])
def test_nul_or_line_break_in_the_file_name_is_json_400(api, name):
    json_error(raw_post(api, multipart(name, CHEST.read_bytes()), "multipart/form-data; boundary=XyZ"), 400)


def test_missing_file_and_bad_task_are_json_400(api):
    assert json_error(requests.post(api + "/api/predict", data={"task": "mri"}, timeout=10), 400)["error"] == \
        "missing_file"
    r = requests.post(api + "/api/predict", files={"file": ("x.png", CHEST.read_bytes())}, data={"task": "brain"},
                      timeout=10)
    assert json_error(r, 400)["error"] == "bad_task"


def _socket(url):
    u = urlparse(url)
    s = socket.create_connection((u.hostname, u.port), timeout=10)
    return s


def _read_response(s) -> tuple:
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0])
    while len(body) < length:
        body += s.recv(65536)
    return int(head.split()[1]), json.loads(body[:length])


def test_too_large_by_content_length_is_json_413_before_any_body_byte(api):
    """The client announces 400 MB and sends nothing: the answer comes at once, so nothing was read."""
    s = _socket(api)
    s.sendall(b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
              b"Content-Length: 419430400\r\n\r\n")
    status, body = _read_response(s)
    s.close()
    assert status == 413 and body["error"] == "file_too_large" and f"{LIMIT_MB}.00 MB" in body["message"]


def test_chunked_body_over_the_limit_is_json_413_after_at_most_the_limit(api):
    """A chunked upload is counted as it streams: the server answers 413 once the limit is passed, before the
    client has sent much more (it stops sending when the answer arrives)."""
    s = _socket(api)
    s.sendall(b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 65536
    sent, answered = 0, False
    s.setblocking(False)
    deadline = time.time() + 60
    while sent < 40 * LIMIT_MB * 2**20 and time.time() < deadline:
        try:
            if s.recv(1, socket.MSG_PEEK):
                answered = True
                break
        except BlockingIOError:
            pass
        try:
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            time.sleep(0.05)
    s.setblocking(True)
    assert answered, sent
    status, body = _read_response(s)
    s.close()
    assert status == 413 and body["error"] == "file_too_large"
    assert sent < 4 * LIMIT_MB * 2**20, sent  # streaming stopped near the limit, not at the end of the body


@pytest.mark.parametrize("request_bytes", [
    b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /api/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
    b"GET /api/health HTTP/1.1\r\nHost: x\r\nno colon in this header\r\n\r\n",
    b"GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: -3\r\n\r\n",
], ids=["content-length-and-chunked", "bad-chunk-size", "header-without-colon", "negative-length"])
def test_requests_tornado_cannot_parse_are_json_400(api, request_bytes):
    """Tornado refuses these before any handler (a bare 400 on the connection): the server's JSON still answers."""
    s = _socket(api)
    s.sendall(request_bytes)
    status, body = _read_response(s)
    s.close()
    assert status == 400 and set(body) == {"error", "message"}
    # a negative Content-Length passes Tornado; the API's own check refuses it
    assert body["error"] == ("bad_request" if b"-3" in request_bytes else "malformed_request")
    assert requests.get(api + "/api/health", timeout=10).json()["status"] == "ok"


def test_a_good_image_still_works_and_the_server_is_healthy(api):
    r = requests.post(api + "/api/predict", files={"file": ("x.png", CHEST.read_bytes())}, timeout=120)
    assert r.status_code == 200 and r.json()["task"] == "chest"
    h = requests.get(api + "/api/health", timeout=10).json()
    assert h["status"] == "ok" and set(h["queues"]) == {"2d", "prep", "3d", "long"}


def test_media_type_case_and_a_file_part_without_a_name_are_accepted(api):
    """Media types and parameter names are case-insensitive (RFC 9110; the boundary's value is not), and curl
    -F 'file=<x.png' sends the file as a part without a filename: both are answered like a plain upload."""
    from gui.server import media_type_lowered
    assert media_type_lowered("Multipart/Form-Data; Boundary=XyZb") == "multipart/form-data; boundary=XyZb"
    assert media_type_lowered("multipart/form-data; boundary = XyZb") == "multipart/form-data; boundary=XyZb"
    body = multipart(b"x.png", CHEST.read_bytes(), boundary=b"XyZb")
    r = raw_post(api, body, "Multipart/Form-Data; BOUNDARY=XyZb")
    assert r.status_code == 200 and r.json()["task"] == "chest", r.text[:300]
    nameless = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + CHEST.read_bytes() +
                b"\r\n--XyZ--\r\n")
    r = raw_post(api, nameless, "multipart/form-data; boundary=XyZ")
    assert r.status_code == 200 and r.json()["task"] == "chest", r.text[:300]


def test_fields_may_come_in_the_query_string_and_task_names_ignore_case(api):
    """?task= is read like ?age= (the form wins when both are sent); 'Chest' is the chest task."""
    r = requests.post(api + "/api/predict?task=mri", files={"file": ("x.png", CHEST.read_bytes())}, timeout=60)
    assert json_error(r, 422)["error"] == "unsupported_format" and "it cannot go to the 'mri' task" in r.json()["message"]
    r = requests.post(api + "/api/predict?task=mri", data={"task": "Chest"},
                      files={"file": ("x.png", CHEST.read_bytes())}, timeout=60)
    assert r.status_code == 200 and r.json()["task"] == "chest", r.text[:300]


def test_full_queue_is_json_503_with_retry_after_and_bad_files_are_answered_before_the_queue(tmp_path):
    """With no room in any queue (XAI_QUEUE_MAX=0) a good file gets 503 + Retry-After, while a bad file still gets
    its own 422: validation runs before the queue."""
    with app_with_env(tmp_path, {"XAI_QUEUE_MAX": "0"}) as url:
        r = requests.post(url + "/api/predict", files={"file": ("x.png", CHEST.read_bytes())}, timeout=60)
        assert json_error(r, 503)["error"] == "server_busy" and int(r.headers["Retry-After"]) >= 1
        bad = requests.post(url + "/api/predict", files={"file": ("x.nii", b"\x1f\x8b" + b"\0" * 500)}, timeout=60)
        assert json_error(bad, 422)["error"] == "corrupt_file"
        bad = requests.post(url + "/api/predict", files={"file": ("x.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 99)},
                            timeout=60)
        assert json_error(bad, 422)["error"] == "corrupt_file"


def test_a_wrong_method_on_a_page_file_is_json_405(api):
    r = requests.put(api + "/no/such/file.js", data=b"x", timeout=10)
    json_error(r, 405)
    assert r.headers["Allow"] == "GET, HEAD"


def test_threads_stay_a_fixed_pool_under_concurrent_requests(api):
    """Jobs queue on fixed per-lane pools: twelve concurrent requests add no thread (one short-lived retention
    thread may be running)."""
    import threading
    raw = CHEST.read_bytes()
    requests.post(api + "/api/predict", files={"file": ("x.png", raw)}, timeout=120)  # pools created
    before = requests.get(api + "/api/health", timeout=10).json()["threads"]
    codes = []

    def go(i):
        body = raw if i % 2 else b"\x89PNG\r\n\x1a\n" + b"\0" * 99
        codes.append(requests.post(api + "/api/predict", files={"file": ("x.png", body)}, timeout=300).status_code)

    ts = [threading.Thread(target=go, args=(i,)) for i in range(12)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert sorted(codes) == [200] * 6 + [422] * 6
    assert requests.get(api + "/api/health", timeout=10).json()["threads"] <= before + 1


def test_a_bad_age_with_a_brain_mri_is_json_422_invalid_age(api):
    vol = (ROOT / "readme_static" / "test" / "colin27_2mm.nii.gz").read_bytes()
    r = requests.post(api + "/api/predict", files={"file": ("b.nii.gz", vol)}, data={"age": "old"}, timeout=60)
    assert json_error(r, 422)["error"] == "invalid_age"
    r = requests.post(api + "/api/predict?age=200", files={"file": ("b.nii.gz", vol)}, timeout=60)
    assert "between" in json_error(r, 422)["message"]
