"""A Tornado HTTPServer whose connections answer unparseable requests with the API's JSON error.

Tornado answers a request it cannot parse (a malformed request line or header, both Content-Length and
Transfer-Encoding, a bad chunk size) by writing a bare `HTTP/1.1 400 Bad Request` straight to the connection, before
any handler runs, so `write_error` never sees it. Each connection's stream swaps those exact bytes for a JSON 400;
tests/test_api_errors.py fails if a Tornado version writes anything else."""
from __future__ import annotations

import json

import tornado.httpserver

TORNADO_BARE_400 = b"HTTP/1.1 400 Bad Request\r\n\r\n"  # tornado/http1connection.py, HTTP1Connection._read_message


def json_400() -> bytes:
    body = json.dumps({"error": "malformed_request",
                       "message": "The HTTP request could not be parsed (its request line, a header, Content-Length "
                                  "together with Transfer-Encoding, or a chunk size); nothing was processed."}).encode()
    head = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
    return head + body


JSON_400 = json_400()


class JsonHTTPServer(tornado.httpserver.HTTPServer):
    def handle_stream(self, stream, address):
        write = stream.write

        def write_json_400(data, *args, **kwargs):
            return write(JSON_400 if data == TORNADO_BARE_400 else data, *args, **kwargs)

        stream.write = write_json_400
        super().handle_stream(stream, address)
