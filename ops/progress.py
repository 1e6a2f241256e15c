"""A dependency-free progress bar on stderr: redrawn in place on a terminal, a line per step of
ten percent otherwise (CI logs)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class ProgressBar:
    """Counts finished items out of ``total`` and shows the counts of each outcome."""

    def __init__(
        self, total: int, label: str, stream: TextIO | None = None, width: int = 30
    ) -> None:
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.done = 0
        self.counts: dict[str, int] = {}
        self._interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_decile = 0
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def advance(self, outcome: str) -> None:
        """Count one finished item with its ``outcome`` (``invoked``, ``failed``...)."""
        with self._lock:
            self.done += 1
            self.counts[outcome] = self.counts.get(outcome, 0) + 1
            self._draw()

    def render(self) -> str:
        """The current bar as text."""
        fraction = self.done / self.total if self.total else 1.0
        filled = int(self.width * fraction)
        counts = " ".join(f"{name}={count}" for name, count in sorted(self.counts.items()))
        elapsed = time.monotonic() - self._started
        return (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{self.done}/{self.total} {fraction:4.0%} {elapsed:5.1f}s {counts}".rstrip()
        )

    def close(self) -> None:
        """Finish the bar's line."""
        with self._lock:
            if self._interactive:
                self.stream.write("\n")
            elif self._last_decile < 10:
                self.stream.write(self.render() + "\n")
            self.stream.flush()

    def _draw(self) -> None:
        if self._interactive:
            self.stream.write("\r" + self.render())
            self.stream.flush()
            return
        decile = int(10 * self.done / self.total) if self.total else 10
        if decile > self._last_decile:
            self._last_decile = decile
            self.stream.write(self.render() + "\n")
            self.stream.flush()
