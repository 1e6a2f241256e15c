"""Tests marked ``network`` need the Python package index; where it cannot be reached they are
deselected, with one line in the terminal summary saying so, instead of erroring.

The check runs once per session, only when a ``network`` test was collected: an HTTP ``HEAD`` of
the index pip uses (``PIP_INDEX_URL``, else pip's configured ``index-url``, else PyPI) with a short
timeout. In CI (the ``CI`` environment variable set, as every CI service does) nothing is
deselected: the tests run and fail loudly. ``-m network`` also runs them whatever the check says,
and ``-m "not network"`` leaves them out everywhere. ``tests/conftest.py`` imports the hooks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

import pytest

MARKER = "network"
DEFAULT_INDEX = "https://pypi.org/simple/"
TIMEOUT_S = 3.0
_REASON = pytest.StashKey[tuple[int, str]]()


def in_ci(env: Mapping[str, str]) -> bool:
    """Whether ``env`` is a CI run (``CI`` set to anything but empty, ``0`` or ``false``)."""
    return env.get("CI", "").strip().lower() not in ("", "0", "false")


def configured_index(env: Mapping[str, str]) -> str:
    """The index pip installs from: ``PIP_INDEX_URL``, pip's configured ``index-url``, or PyPI."""
    if env.get("PIP_INDEX_URL"):
        return env["PIP_INDEX_URL"].split()[0]
    for key in ("install.index-url", "global.index-url"):
        result = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", key],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip().split()[0]
    return DEFAULT_INDEX


def unreachable_reason(url: str, timeout_s: float = TIMEOUT_S) -> str | None:
    """Why ``url`` cannot be reached, or ``None`` when it answers (any HTTP status counts)."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return None if Path(parsed.path).exists() else f"{url} does not exist"
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s):
            return None
    except urllib.error.HTTPError:
        return None  # it answered
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"cannot reach the package index {url} ({reason})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the ``network`` tests when the index is unreachable, outside CI and unless the
    ``-m`` expression names them."""
    gated = [item for item in items if item.get_closest_marker(MARKER)]
    if not gated or in_ci(os.environ) or MARKER in (config.option.markexpr or ""):
        return
    reason = unreachable_reason(configured_index(os.environ))
    if reason is None:
        return
    config.hook.pytest_deselected(items=gated)
    items[:] = [item for item in items if not item.get_closest_marker(MARKER)]
    config.stash[_REASON] = (len(gated), reason)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """One line naming what was deselected and why."""
    if _REASON not in config.stash:
        return
    count, reason = config.stash[_REASON]
    terminalreporter.write_line(
        f"deselected {count} `{MARKER}` test(s): {reason}; they need the package index "
        f"(CI runs them; -m {MARKER} forces them, -m 'not {MARKER}' leaves them out)",
        yellow=True,
    )
