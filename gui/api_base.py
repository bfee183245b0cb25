"""The REST API's error contract for every answer that is not a result: a JSON body {"error", "message"} with a 4xx/5xx
status, never Tornado's HTML pages. Covers unknown routes (404), wrong methods (405 with Allow), malformed requests
(400), bodies over the limit (413, decided from Content-Length before any body byte is read, and by a running byte
count for chunked bodies, so no more than the limit is ever held), a full queue (503 with Retry-After) and bugs
(500)."""
from __future__ import annotations

import json
import os

import tornado.web

from nets.io.nifti_loader import MAX_FILE_BYTES

STATUS_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
                500: "internal_error", 503: "server_busy"}
METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")
# Tornado's own limit answers with a bare 400 and no body: keep it far above ours, which answers JSON 413
TORNADO_BODY_CAP = 2**40


def upload_limit_bytes() -> int:
    """Largest request body /api/predict accepts: the file limit plus 1 MB of multipart framing (XAI_MAX_UPLOAD_MB
    overrides, e.g. for tests)."""
    mb = os.environ.get("XAI_MAX_UPLOAD_MB")
    return int(float(mb) * 2**20) if mb else MAX_FILE_BYTES + 2**20


class ApiError(tornado.web.HTTPError):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(status, reason=None)
        self.code, self.message, self.headers = code, message, headers or {}


class JsonErrorsMixin:
    """write_error as JSON; 405 carries Allow."""

    def allowed_methods(self) -> list:
        base = tornado.web.RequestHandler
        return [m for m in METHODS if m in self.SUPPORTED_METHODS
                and getattr(type(self), m.lower(), None) is not getattr(base, m.lower(), None)]

    def write_error(self, status_code: int, **kwargs):
        exc = kwargs.get("exc_info", (None, None, None))[1]
        code = getattr(exc, "code", None) if isinstance(exc, ApiError) else None
        message = getattr(exc, "message", None) if isinstance(exc, ApiError) else None
        if isinstance(exc, ApiError):
            for k, v in exc.headers.items():
                self.set_header(k, str(v))
        if message is None and isinstance(exc, tornado.web.HTTPError) and exc.log_message and status_code < 500:
            message = exc.log_message % exc.args if exc.args else exc.log_message
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
            message = message or f"{self.request.method} is not allowed here; use {', '.join(self.allowed_methods())}."
        if status_code == 404:
            message = message or f"No such address: {self.request.path[:200]}"
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"error": code or STATUS_CODES.get(status_code, "http_error"),
                                "message": message or self._reason}, ensure_ascii=False))


class BodyLimitMixin:
    """The body is streamed in and counted: at most `max_body_bytes` are kept (needs @stream_request_body)."""
    max_body_bytes = 64 * 1024

    def prepare(self):
        self._chunks, self._received = [], 0
        self.request.connection.set_max_body_size(TORNADO_BODY_CAP)
        length = self.request.headers.get("Content-Length")
        if length is not None:
            if not length.strip().isdigit():
                raise ApiError(400, "bad_request", "Content-Length is not a number.")
            if int(length) > self.max_body_bytes:
                raise self.too_large()

    def too_large(self) -> ApiError:
        return ApiError(413, "file_too_large", f"The request body is larger than the limit of "
                                               f"{self.max_body_bytes / 2**20:.2f} MB.")

    def data_received(self, chunk: bytes):
        if self._finished:
            return  # already answered (413): the rest is discarded until the connection closes
        self._received += len(chunk)
        if self._received > self.max_body_bytes:
            self._chunks = []
            err = self.too_large()
            self.send_error(413, exc_info=(ApiError, err, None))
            return
        self._chunks.append(chunk)

    def body(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks = []
        return data


@tornado.web.stream_request_body
class JsonHandler(BodyLimitMixin, JsonErrorsMixin, tornado.web.RequestHandler):
    """Base of every API handler: JSON errors, bounded streamed body."""


class NotFoundHandler(JsonHandler):
    """Every unknown address: a JSON 404 for any method."""

    def prepare(self):
        super().prepare()
        raise ApiError(404, "not_found", f"No such address: {self.request.path[:200]}")


@tornado.web.stream_request_body
class JsonStaticFileHandler(BodyLimitMixin, JsonErrorsMixin, tornado.web.StaticFileHandler):
    """PyWebIO's static files; a missing file is a JSON 404 like any other unknown address, and a body sent to
    them is refused past 64 KB like everywhere else."""
