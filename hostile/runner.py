"""Run hostile cases, each in a fresh ``python -m hostile.worker`` process, and tabulate them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from function.budget import MAX_SEGMENTS
from function.settings import load_settings
from function.structure import walk
from hostile.cases import Case, Limits


@dataclass(frozen=True)
class CaseReport:
    """What one case did: its size, declared pixels and the worker's measurements."""

    case: Case
    size_bytes: int
    declared_pixels: int
    measured: dict[str, Any]

    @property
    def as_expected(self) -> bool:
        """Whether the outcome (and the reason, for a rejection) is the case's expectation."""
        outcome = self.measured["outcome"]
        return outcome == self.case.expect and self.case.reason in self.measured["reason"]


def limits_for(memory_mb: int, timeout_s: int) -> Limits:
    """The function's default limits at ``memory_mb`` and ``timeout_s``."""
    settings = load_settings(
        {
            "PROCESSED_BUCKET": "hostile",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "TIMEOUT_SECONDS": str(timeout_s),
        }
    )
    return Limits(settings.max_pixels, settings.max_alpha_pixels, settings.max_input_bytes)


def declared_pixels(data: bytes) -> int:
    """The pixel count the file's header declares (0 when it cannot be read). Read by the
    function's own structure walk where it has one: Pillow's parser is what the cases attack."""
    structure = walk(data, MAX_SEGMENTS)
    if structure is not None:
        return structure.width * structure.height
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.width * image.height
    except Exception:  # any header Pillow refuses declares nothing it would decode
        return 0


def run_in_fresh_process(
    case: Case,
    data: bytes,
    workdir: Path,
    *,
    memory_mb: int,
    timeout_s: int,
    address_space: bool = False,
) -> CaseReport:
    """Write ``data`` under ``workdir`` and run it through the handler in a fresh process."""
    path = workdir / case.key
    path.write_bytes(data)
    command = [
        sys.executable,
        "-m",
        "hostile.worker",
        str(path),
        case.key,
        "--memory",
        str(memory_mb),
        "--timeout",
        str(timeout_s),
    ]
    if address_space:
        command.append("--address-space")
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        measured = {
            "outcome": "crashed",
            "reason": f"exit {completed.returncode}: {completed.stderr.strip()[-300:]}",
            "peak_rss_mb": 0.0,
            "cpu_s": 0.0,
        }
    else:
        measured = json.loads(lines[-1])
    path.unlink()
    return CaseReport(case, len(data), declared_pixels(data), measured)


def format_table(reports: list[CaseReport], memory_mb: int) -> str:
    """The reports as a fixed-width table, one row per case."""
    header = (
        f"{'case':<26} {'bytes':>11} {'pixels':>11} {'base MB':>8} {'peak MB':>8} {'CPU s':>6}"
        "  outcome"
    )
    rows = [header, "-" * len(header)]
    for report in reports:
        measured = report.measured
        peak = measured["peak_rss_mb"]
        flag = "" if report.as_expected else "  << UNEXPECTED"
        outcome = measured["outcome"]
        if measured["reason"]:
            outcome += f": {measured['reason']}"
        rows.append(
            f"{report.case.name:<26} {report.size_bytes:>11,} "
            f"{format(report.declared_pixels, ',') if report.declared_pixels else '?':>11} "
            f"{measured.get('baseline_rss_mb', 0.0):>8.0f} {peak:>8.0f} {measured['cpu_s']:>6.2f}"
            f"  {outcome}{flag}"
        )
    rows.append(
        f"(memory size {memory_mb} MB, 90% is {memory_mb * 0.9:.0f} MB; base: resident before the"
        " handler runs, with moto holding the upload)"
    )
    return "\n".join(rows)
