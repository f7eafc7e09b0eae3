"""A recording HTTP server on 127.0.0.1 that stands in for a third-party API (GitHub, Jira, Slack's Web API).

`RecordingServer(answers)` answers `(METHOD, path)` (path without the query) with `(status, json)` from
`answers` (a dict, changeable while it runs; a value may be a function of the `Recorded` request; 404
otherwise) and records every request as a `Recorded`
(method, path with query, headers, raw body, decoded JSON). Loopback is refused by the outbound guard
unless the test allows the server's host:port (the `outbound_allowed` fixture).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Headers(dict):
    """Header names compare without regard to case, as HTTP has them (urllib sends `X-github-api-version`)."""

    def __init__(self, items: Any) -> None:
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass
class Recorded:
    method: str
    path: str
    headers: Headers
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def form(self) -> dict[str, str]:
        """The url-encoded body as a dict (one value per field)."""
        return dict(urllib.parse.parse_qsl(self.body.decode()))


class RecordingServer:
    def __init__(self, answers: dict[tuple[str, str], Any] | None = None) -> None:
        self.answers: dict[tuple[str, str], Any] = dict(answers or {})
        self.requests: list[Recorded] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(self.command, self.path, Headers(self.headers.items()), body)
                server.requests.append(recorded)
                answer = server.answers.get(
                    (self.command, self.path.split("?")[0]), (404, {"message": "Not Found"})
                )
                status, data = answer(recorded) if callable(answer) else answer
                raw = b"" if status == 204 else json.dumps(data).encode()  # 204: no body, as servers send it
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PATCH = do_PUT = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
