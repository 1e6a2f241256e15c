"""One measurement process: ``python -m bench.worker IMPL PHOTO REPEATS`` prints a JSON report.

Each implementation runs in a fresh process so its peak RSS is its own. The photo is read and the
implementation set up first; then the process' resident size is the baseline, the implementation
runs ``REPEATS`` times (wall and CPU time of each run) and the peak comes from ``getrusage``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.outputs import Output

IMPLEMENTATIONS = ("project", "tutorial", "pyvips")
MODULES = {"tutorial": "bench.tutorial", "pyvips": "bench.vips"}


def current_rss_kb() -> int:
    """Resident set size of this process now, in KiB (from /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("VmRSS not found in /proc/self/status")


def measure(run: Callable[[], list[Output]], repeats: int) -> dict[str, Any]:
    """Run ``run`` ``repeats`` times; wall/CPU ms per run, baseline and peak RSS, last outputs."""
    gc.collect()
    baseline = current_rss_kb()
    runs = []
    outputs: list[Output] = []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        outputs = run()
        runs.append(
            {
                "wall_ms": (time.perf_counter() - wall) * 1000,
                "cpu_ms": (time.process_time() - cpu) * 1000,
            }
        )
        gc.collect()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "runs": runs,
        "baseline_rss_kb": baseline,
        "peak_rss_kb": peak,
        "outputs": [o.to_json() for o in outputs],
    }


def run_worker(impl: str, photo: Path, repeats: int) -> dict[str, Any]:
    """Set up ``impl`` on ``photo`` and measure it."""
    data = photo.read_bytes()
    key = f"uploads/{photo.name}"
    extra: dict[str, Any] = {}
    # Each process imports only its own implementation, so the others do not inflate its RSS.
    if impl == "project":
        handler = importlib.import_module("bench.project").ProjectHandler(data, key)
        report = measure(handler.process, repeats)
        extra["s3_ms"] = min(handler.s3_overhead_ms() for _ in range(3))
        handler.close()
    elif impl in MODULES:
        process = importlib.import_module(MODULES[impl]).process
        report = measure(lambda: process(data, key), repeats)
    else:
        raise ValueError(f"unknown implementation {impl!r}; one of {IMPLEMENTATIONS}")
    return {"impl": impl, "photo": photo.name, **report, **extra}


def main() -> None:
    """CLI entry point of the worker process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("impl", choices=IMPLEMENTATIONS)
    parser.add_argument("photo", type=Path)
    parser.add_argument("repeats", type=int)
    args = parser.parse_args()
    print(json.dumps(run_worker(args.impl, args.photo, args.repeats)))


if __name__ == "__main__":
    main()
