"""Transient S3 faults injected in front of the embedded endpoint, as WSGI middleware.

A seeded share of requests is answered ``500 InternalError``, ``503 SlowDown`` or dropped without
a response (the connection is shut, as a reset would); the request never reaches S3, so a
retried write cannot duplicate anything. Clients see real HTTP errors and real dropped
connections, and recover (or not) with their own retries.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

FAULT_KINDS: tuple[str, ...] = ("500", "503", "reset")
_ERRORS = {
    "500": ("500 Internal Server Error", "InternalError", "We encountered an internal error."),
    "503": ("503 Slow Down", "SlowDown", "Please reduce your request rate."),
}
_CONTROL_PATH = "/moto-api"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FaultInjector:
    """WSGI middleware answering a share ``rate`` of S3 requests with a fault (chosen evenly
    among :data:`FAULT_KINDS`), counting requests and faults; ``enabled`` switches it."""

    def __init__(self, app: WsgiApp, rate: float, seed: int = 0) -> None:
        if not 0 <= rate < 1:
            raise ValueError(f"fault rate must be from 0 to below 1, got {rate}")
        self.app = app
        self.rate = rate
        self.enabled = True
        self.requests = 0
        self.faults: Counter[str] = Counter()
        self._random = random.Random(seed)  # noqa: S311 (reproducible faults, not secrets)
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO", "").startswith(_CONTROL_PATH):
            return self.app(environ, start_response)
        with self._lock:
            self.requests += 1
            fault = None
            if self.enabled and self._random.random() < self.rate:
                fault = self._random.choice(FAULT_KINDS)
                self.faults[fault] += 1
        if fault is None:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:  # an unread body would be parsed as the next request
            environ["wsgi.input"].read(length)
        if fault == "reset":
            _drop_connection(environ)
        status, code, message = _ERRORS[fault]
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>FAULT</RequestId></Error>"
        ).encode()
        headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
        start_response(status, headers)
        return [body]


def _drop_connection(environ: dict[str, Any]) -> None:
    """Shut the client's connection without a response (linger 0: a reset when closed)."""
    connection: socket.socket = environ["werkzeug.socket"]
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.shutdown(socket.SHUT_RDWR)
    raise ConnectionResetError("fault injected: connection reset")
