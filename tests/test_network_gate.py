"""The ``network`` gate: a pytest run on a small suite with one ``network`` test, the package
index pointed at a closed port (unreachable) or at a local HTTP server (reachable)."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.network_gate import configured_index, in_ci, unreachable_reason
from tests.repo import REPO_ROOT

SUITE = """
import pytest

@pytest.mark.network
def test_needs_the_index():
    pass

def test_offline():
    pass
"""


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/simple/"  # nothing listens there any more


@pytest.fixture
def index_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    server.shutdown()
    server.server_close()


def run_suite(tmp_path: Path, index: str, *args: str, ci: str = "") -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(
        "from tests.network_gate import pytest_collection_modifyitems, pytest_terminal_summary\n"
    )
    (tmp_path / "test_suite.py").write_text(SUITE)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    network: needs the index\n")
    env = {**os.environ, "PIP_INDEX_URL": index, "CI": ci, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_unreachable_index_deselects_network_tests_with_one_line(tmp_path: Path) -> None:
    result = run_suite(tmp_path, closed_port_url())
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 deselected" in result.stdout
    assert "deselected 1 `network` test(s): cannot reach the package index" in result.stdout


def test_in_ci_nothing_is_deselected(tmp_path: Path) -> None:
    result = run_suite(tmp_path, closed_port_url(), ci="true")
    assert "2 passed" in result.stdout
    assert "deselected" not in result.stdout


def test_asking_for_network_tests_runs_them(tmp_path: Path) -> None:
    result = run_suite(tmp_path, closed_port_url(), "-m", "network")
    assert "1 passed, 1 deselected" in result.stdout
    assert "cannot reach" not in result.stdout


def test_reachable_index_runs_everything(tmp_path: Path, index_server: str) -> None:
    result = run_suite(tmp_path, index_server)
    assert "2 passed" in result.stdout
    assert "deselected" not in result.stdout


def test_any_http_answer_counts_as_reachable(index_server: str, tmp_path: Path) -> None:
    assert unreachable_reason(index_server) is None  # the bare handler answers 501
    assert unreachable_reason(tmp_path.as_uri()) is None
    assert "does not exist" in unreachable_reason((tmp_path / "missing").as_uri())
    assert "cannot reach the package index" in unreachable_reason(closed_port_url())


def test_ci_detection_and_index_from_the_environment() -> None:
    assert in_ci({"CI": "true"}) and in_ci({"CI": "1"})
    assert not in_ci({}) and not in_ci({"CI": "false"}) and not in_ci({"CI": ""})
    assert configured_index({"PIP_INDEX_URL": "https://mirror.example/simple/"}) == (
        "https://mirror.example/simple/"
    )
