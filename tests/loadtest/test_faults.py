"""loadtest.faults: the injected share, the kinds, and the untouched control path."""

from __future__ import annotations

import io

import pytest

from loadtest.faults import FaultInjector


def backend(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def call(injector: FaultInjector, path: str = "/bucket/key") -> str:
    statuses: list[str] = []
    environ = {"PATH_INFO": path, "CONTENT_LENGTH": "3", "wsgi.input": io.BytesIO(b"abc")}
    try:
        injector(environ, lambda status, headers: statuses.append(status))
    except ConnectionResetError:
        return "reset"
    return statuses[0]


class FakeSocket:
    def setsockopt(self, *args):
        pass

    def shutdown(self, how):
        pass


def test_share_of_faults_follows_the_rate_and_is_reproducible():
    first = FaultInjector(backend, 0.2, seed=1)
    second = FaultInjector(backend, 0.2, seed=1)
    outcomes = []
    for injector in (first, second):
        seen = []
        for _ in range(2000):
            environ = {
                "PATH_INFO": "/b/k",
                "wsgi.input": io.BytesIO(),
                "werkzeug.socket": FakeSocket(),
            }
            statuses: list[str] = []
            try:
                injector(environ, lambda status, headers, s=statuses: s.append(status))
                seen.append(statuses[0].split()[0])
            except ConnectionResetError:
                seen.append("reset")
        outcomes.append(seen)
    assert outcomes[0] == outcomes[1]
    faults = sum(first.faults.values())
    assert 0.17 < faults / 2000 < 0.23
    assert set(first.faults) == {"500", "503", "reset"}
    assert first.requests == 2000
    assert outcomes[0].count("200") == 2000 - faults


def test_control_path_and_disabled_injector_pass_through():
    injector = FaultInjector(backend, 0.99)
    assert call(injector, "/moto-api/reset") == "200 OK"
    injector.enabled = False
    assert {call(injector) for _ in range(20)} == {"200 OK"}
    assert injector.requests == 20 and not injector.faults


def test_rate_must_leave_some_requests_through():
    with pytest.raises(ValueError, match="fault rate"):
        FaultInjector(backend, 1.0)
