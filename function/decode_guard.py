"""A guard on the decoder while it runs: the upload's bytes behind a stream that checks, on every
read, the CPU time spent and the process' resident memory against what the budget allows.

Pillow's decoders pull their input through ``read`` in blocks (:data:`READ_BLOCK` here, so the
checks come often), so a decode that costs more than the model planned is stopped mid-way with
:class:`BudgetExceededError` instead of running into Lambda's timeout or memory limit.
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

from function.errors import PermanentError

READ_BLOCK = 16 * 1024
# Reading /proc costs ~20 us, the CPU clock ~1: memory is checked every this many reads (header
# parsers read a few bytes at a time).
MEMORY_CHECK_READS = 64
_STATM = Path("/proc/self/statm")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class BudgetExceededError(PermanentError):
    """The decode went past its CPU or memory allowance; ``str()`` names the limit."""


def resident_bytes() -> int | None:
    """This process' resident memory now (Linux), or ``None`` where /proc is not available."""
    try:
        return int(_STATM.read_text().split()[1]) * _PAGE_SIZE
    except OSError:
        return None


class GuardedStream(io.BytesIO):
    """``data`` as a stream whose reads fail once the process has spent ``cpu_seconds`` of CPU
    since the stream was made, or holds more than ``memory_bytes`` resident."""

    def __init__(self, data: bytes, *, cpu_seconds: float, memory_bytes: int) -> None:
        super().__init__(data)
        self._deadline = time.process_time() + cpu_seconds
        self._cpu_seconds = cpu_seconds
        self._memory_bytes = memory_bytes
        self._reads = 0

    def read(self, size: int | None = -1, /) -> bytes:
        """Check the allowances, then read like :class:`io.BytesIO`."""
        if time.process_time() > self._deadline:
            raise BudgetExceededError(
                f"decoding took over its CPU allowance of {self._cpu_seconds:.1f} s"
            )
        self._reads += 1
        resident = resident_bytes() if self._reads % MEMORY_CHECK_READS == 0 else None
        if resident is not None and resident > self._memory_bytes:
            raise BudgetExceededError(
                f"decoding took {resident // 2**20} MiB resident, over the memory budget of "
                f"{self._memory_bytes // 2**20} MiB"
            )
        return super().read(size)
