"""``python -m bench``: the project's handler, a tutorial handler, libvips and sharp, side by side.

For every corpus photo each implementation runs in its own process pinned to one core
(``taskset -c 1``), a few times; the table shows the medians, then the medians over the photos and
the ratios against the targets. sharp runs twice, with its defaults and with the project's speed
settings (see :mod:`bench.sharp_contender`; the bench installs Node and sharp from npm and stops
with an error when it cannot). The project's handler also runs at memory sizes that
give it the PNG encode thread or not, on one core and on two, and its cold import is timed in fresh
processes.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from PIL import __version__ as pillow_version
from PIL import features

from bench.corpus import Photo, load_corpus
from bench.cost import cost_lines, format_costs
from bench.outputs import DEFAULT_VARIANTS
from bench.sharp_contender import (
    SHARP_OPTIONS,
    SharpUnavailableError,
    contender_job,
    install_sharp,
    run_sharp,
)
from bench.stats import (
    Measurement,
    measurement_from_report,
    median,
    per_photo_ratios,
    ratio,
    summarize,
)
from bench.table import format_table
from function import settings as function_settings

log = logging.getLogger("bench")

IMPLS = ("project", "tutorial", "pyvips", "sharp", "sharp-fast")
# --quick: the smallest, a middle and the largest photo, one run each, no runs by cores.
QUICK_PHOTOS, QUICK_REPEATS = 3, 1
ONE_CORE = "1"
TWO_CORES = "0,1"
# The project's handler again, by cores and memory size: Lambda gives 1769 MB per vCPU, so 3008 MB
# is 1.7 vCPUs (no PNG thread) and 3538 MB two (the thread); see function/settings.py.
CORE_RUNS = ((ONE_CORE, 3538), (TWO_CORES, 3008), (TWO_CORES, 3538))
KIB = 1024
REPO_ROOT = Path(__file__).resolve().parent.parent
IMPORT_SNIPPET = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); "
    "c = time.process_time(); import function.lambda_function; "
    "print((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)"
)


def variant_labels(photo_name: str) -> dict[str, str]:
    """Output object name -> variant label (``suffix.ext``) for an upload named ``photo_name``."""
    key = f"uploads/{photo_name}"
    return {v.output_key(key): f"{v.suffix}.{v.extension}" for v in DEFAULT_VARIANTS}


def child_command(cores: str | None, args: Sequence[str]) -> list[str]:
    """``args`` run by this Python, pinned to ``cores`` with taskset when given."""
    command = [sys.executable, *args]
    return ["taskset", "-c", cores, *command] if cores else command


def run_worker(
    impl: str,
    photo: Photo,
    repeats: int,
    cores: str | None,
    memory_mb: int,
    *,
    node: Path | None = None,
) -> dict:
    """One worker process (for sharp, one Node process run by ``node``); its JSON report."""
    if impl in SHARP_OPTIONS:
        if node is None:
            raise ValueError(f"{impl} needs the Node runtime install_sharp returns")
        return run_sharp(node, contender_job(impl, photo.path, repeats), cores)
    env = {**os.environ, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb)}
    command = child_command(cores, ["-m", "bench.worker", impl, str(photo.path), str(repeats)])
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{impl} on {photo.name} failed:\n{result.stderr}")
    return json.loads(result.stdout.splitlines()[-1])


def cold_import_ms(cores: str | None, times: int = 9) -> tuple[float, float]:
    """Median wall and CPU ms to import the handler module in a fresh process."""
    env = {
        **os.environ,
        "PROCESSED_BUCKET": "bench-processed",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    command = child_command(cores, ["-c", IMPORT_SNIPPET, str(REPO_ROOT)])
    walls, cpus = [], []
    for _ in range(times):
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        wall, cpu = out.stdout.strip().splitlines()[-1].split()
        walls.append(float(wall))
        cpus.append(float(cpu))
    return median(walls), median(cpus)


def photo_rows(measurements: Sequence[Measurement], photos: Sequence[Photo]) -> list[list[object]]:
    """Per-photo table rows: timings, memory and KiB per variant."""
    mp = {p.name: p.megapixels for p in photos}
    labels = [f"{v.suffix}.{v.extension}" for v in DEFAULT_VARIANTS]
    return [
        [
            m.photo,
            f"{mp[m.photo]:.1f}",
            m.impl,
            m.wall_ms,
            m.cpu_ms,
            m.peak_rss_mb,
            m.extra_rss_mb,
            *(m.variant_bytes.get(label, 0) / KIB for label in labels),
            m.total_bytes / KIB,
        ]
        for m in measurements
    ]


RATIO_COLUMNS = (
    # header, subject, baseline, field, S3 out: baseline.field / subject.field per photo, with
    # the project's moto S3 time taken out of its CPU time when the last item is true
    ("CPU vs tutorial", "project", "tutorial", "cpu_ms", False),
    ("wall vs tutorial", "project", "tutorial", "wall_ms", False),
    ("CPU vs pyvips", "project", "pyvips", "cpu_ms", False),
    ("bytes vs tutorial", "tutorial", "project", "total_bytes", False),
    ("+MB vs tutorial", "tutorial", "project", "extra_rss_mb", False),
    # project / sharp: the way round, the job without S3
    ("CPU/sharp-fast", "sharp-fast", "project", "cpu_ms", True),
    ("bytes/sharp-fast", "sharp-fast", "project", "total_bytes", False),
    ("CPU/sharp", "sharp", "project", "cpu_ms", True),
    ("bytes/sharp", "sharp", "project", "total_bytes", False),
)


def ratio_rows(
    measurements: Sequence[Measurement], photos: Sequence[Photo]
) -> tuple[list[str], list[list[object]]]:
    """Per-photo ratio table (the project against the baselines that were run): headers, rows
    with an ``x`` suffix on every ratio, and a last row with the median of each column."""
    impls = {m.impl for m in measurements}
    columns = [c for c in RATIO_COLUMNS if {c[1], c[2]} <= impls]
    without_s3 = s3_taken_out(measurements)
    ratios = [
        per_photo_ratios(without_s3 if s3_out else measurements, subject, base, field)
        for _, subject, base, field, s3_out in columns
    ]
    mp = {p.name: p.megapixels for p in photos}
    rows: list[list[object]] = [
        [photo, f"{mp[photo]:.1f}", *(f"{r[photo]:.2f}x" for r in ratios)]
        for photo in dict.fromkeys(m.photo for m in measurements)
        if photo in mp and all(photo in r for r in ratios)
    ]
    rows.append(["median", "", *(f"{median(r.values()):.2f}x" for r in ratios)])
    return ["photo", "MP", *(c[0] for c in columns)], rows


def s3_taken_out(measurements: Sequence[Measurement]) -> list[Measurement]:
    """``measurements`` with the moto S3 time taken out of the project's CPU time (the job
    without S3, which is what the other implementations do)."""
    return [
        replace(m, cpu_ms=m.cpu_ms - m.s3_ms) if m.impl == "project" and m.s3_ms > 0 else m
        for m in measurements
    ]


def target_lines(measurements: Sequence[Measurement]) -> list[str]:
    """The ratios the targets are set on, with whether each is met."""
    impls = {m.impl for m in measurements}
    lines = []
    without_s3 = s3_taken_out(measurements)
    if {"project", "tutorial"} <= impls:
        speed = median(per_photo_ratios(measurements, "project", "tutorial", "cpu_ms").values())
        wall = median(per_photo_ratios(measurements, "project", "tutorial", "wall_ms").values())
        size = median(per_photo_ratios(measurements, "tutorial", "project", "total_bytes").values())
        rss = median(per_photo_ratios(measurements, "tutorial", "project", "extra_rss_mb").values())
        net = median(per_photo_ratios(without_s3, "project", "tutorial", "cpu_ms").values())
        lines += [
            _target("CPU speed-up vs tutorial", speed, speed >= 4, ">= 4x"),
            f"  CPU speed-up vs tutorial, moto S3 time taken out: {net:.2f}x",
            _target("wall speed-up vs tutorial", wall, wall >= 4, ">= 4x"),
            _target("total bytes vs tutorial", size, size <= 1.10, "<= 1.10x"),
            _target("peak RSS over baseline vs tutorial", rss, rss <= 1.0, "<= 1.00x"),
        ]
    if {"project", "pyvips"} <= impls:
        speed = median(per_photo_ratios(measurements, "project", "pyvips", "cpu_ms").values())
        size = median(per_photo_ratios(measurements, "pyvips", "project", "total_bytes").values())
        lines += [
            _target("CPU speed-up vs pyvips", speed, speed > 1, "> 1x"),
            f"  total bytes vs pyvips: {size:.2f}x",
        ]
    for contender, cpu_goal, bytes_goal in (("sharp-fast", 0.85, 0.65), ("sharp", 0.45, None)):
        if {"project", contender} <= impls:
            cpu = median(per_photo_ratios(without_s3, contender, "project", "cpu_ms").values())
            size = median(
                per_photo_ratios(measurements, contender, "project", "total_bytes").values()
            )
            lines.append(
                _target(
                    f"CPU vs {contender} (project / it, S3 out)",
                    cpu,
                    cpu <= cpu_goal,
                    f"<= {cpu_goal:.2f}x",
                )
            )
            lines.append(
                _target(
                    f"total bytes vs {contender} (project / it)",
                    size,
                    size <= bytes_goal,
                    f"<= {bytes_goal:.2f}x",
                )
                if bytes_goal
                else f"  total bytes vs {contender} (project / it): {size:.2f}x"
            )
    if {"tutorial", "pyvips"} <= impls:
        speed = median(per_photo_ratios(measurements, "pyvips", "tutorial", "cpu_ms").values())
        lines.append(f"  (pyvips CPU speed-up vs tutorial: {speed:.2f}x)")
    return lines


def print_core_runs(
    one_core: Sequence[Measurement],
    photos: Sequence[Photo],
    repeats: int,
    memory_mb: int,
    pin: bool,
) -> None:
    """Run the project's handler per :data:`CORE_RUNS` and print medians over the photos, with
    the median per-photo wall speed-up against the one-core run at ``memory_mb``."""
    baseline = [replace(m, impl="baseline") for m in one_core if m.impl == "project"]
    rows: list[list[object]] = [_core_row(ONE_CORE, memory_mb, baseline, baseline)]
    for cores, memory in CORE_RUNS:
        runs = [
            replace(
                measurement_from_report(
                    run_worker("project", photo, repeats, cores if pin else None, memory),
                    variant_labels(photo.name),
                ),
                impl="run",
            )
            for photo in photos
        ]
        rows.append(_core_row(cores, memory, runs, baseline))
    print("\nProject handler by cores and memory size (medians over the photos)")
    headers = ["cores", "MB", "vCPUs", "PNG thread", "wall ms", "CPU ms", "peak MB", "+MB"]
    print(format_table([*headers, "wall vs one core"], rows))


def _core_row(
    cores: str, memory_mb: int, runs: Sequence[Measurement], baseline: Sequence[Measurement]
) -> list[object]:
    settings = function_settings
    speed = median(
        per_photo_ratios([*baseline, *runs], runs[0].impl, "baseline", "wall_ms").values()
    )
    return [
        len(cores.split(",")),
        memory_mb,
        f"{memory_mb / settings.MB_PER_VCPU:.2f}",
        "yes" if settings.uses_encode_thread(memory_mb) else "no",
        median(m.wall_ms for m in runs),
        median(m.cpu_ms for m in runs),
        median(m.peak_rss_mb for m in runs),
        median(m.extra_rss_mb for m in runs),
        f"{speed:.2f}x",
    ]


def _target(name: str, value: float, met: bool, goal: str) -> str:
    status = "-" if math.isnan(value) else ("met" if met else "MISSED")
    return f"  {name}: {value:.2f}x (target {goal}: {status})"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; ``--quick`` replaces ``--photos`` and ``--repeats`` with its preset."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="runs per process (median taken)")
    parser.add_argument("--photos", type=int, default=8, help="corpus size")
    parser.add_argument("--impls", default=",".join(IMPLS), help="comma-separated subset")
    parser.add_argument("--memory", type=int, default=1024, help="memory size for one core (MB)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a first look: {QUICK_PHOTOS} photos, {QUICK_REPEATS} run each, no runs by cores",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.photos, args.repeats = QUICK_PHOTOS, QUICK_REPEATS
    return args


def main() -> None:
    """CLI entry point."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args()
    impls = [i for i in args.impls.split(",") if i]
    pin = shutil.which("taskset") is not None
    if not pin:
        log.warning("taskset not found: processes are not pinned to one core")
    one = ONE_CORE if pin else None

    node = None
    if any(impl in SHARP_OPTIONS for impl in impls):
        try:
            node = install_sharp()
        except SharpUnavailableError as exc:
            log.error("sharp contender unavailable: %s", exc)
            sys.exit(1)
    photos = load_corpus(args.photos)
    log.info("corpus: %s", ", ".join(f"{p.name} ({p.megapixels:.1f} MP)" for p in photos))
    measurements = []
    sharp_versions: dict[str, str] = {}
    for photo in photos:
        for impl in impls:
            log.info("%s on %s", impl, photo.name)
            report = run_worker(impl, photo, args.repeats, one, args.memory, node=node)
            sharp_versions.update(report.get("versions", {}))
            measurements.append(measurement_from_report(report, variant_labels(photo.name)))

    labels = [f"{v.suffix}.{v.extension}" for v in DEFAULT_VARIANTS]
    headers = ["photo", "MP", "impl", "wall ms", "CPU ms", "peak MB", "+MB"]
    headers += [f"{label} KiB" for label in labels] + ["total KiB"]
    print(f"\nOne core (taskset -c {one}), {args.memory} MB, median of {args.repeats} runs")
    print(format_table(headers, photo_rows(measurements, photos)))

    summary = summarize(measurements)
    print("\nMedian over the photos")
    print(
        format_table(
            ["impl", "wall ms", "CPU ms", "peak MB", "+MB", "total KiB"],
            [
                [s.impl, s.wall_ms, s.cpu_ms, s.peak_rss_mb, s.extra_rss_mb, s.total_bytes / KIB]
                for s in summary.values()
            ],
        )
    )
    headers, rows = ratio_rows(measurements, photos)
    print("\nRatios per photo: speed-ups (baseline time / project time), then the project's bytes")
    print("and +MB over the tutorial's")
    print(format_table(headers, rows))
    print("\nRatios (median of per-photo ratios; '+MB' is peak RSS above the idle process)")
    print("\n".join(target_lines(measurements)))

    if "project" in impls:
        s3 = median(m.s3_ms for m in measurements if m.impl == "project")
        cpu = summary["project"].cpu_ms
        print(
            f"\nS3 (moto) get + 5 puts alone, median: {s3:.0f} ms CPU ({ratio(s3, cpu):.0%} of the "
            "project's CPU; taken out where a ratio says 'S3 out')"
        )
        if not args.quick:
            print_core_runs(measurements, photos, args.repeats, args.memory, pin)
        wall, cpu = cold_import_ms(one)
        print(
            f"\nCold import of lambda_function (fresh process, median of 9): {wall:.0f} ms wall, "
            f"{cpu:.0f} ms CPU"
        )
        cpu_ms = summary["project"].cpu_ms
        print("\n" + format_costs(cpu_ms, cost_lines(cpu_ms)))
    print(f"\nMachine: {_machine()}")
    print(f"Versions: {_versions(sharp_versions)}")


def _machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"


def _versions(sharp: dict[str, str]) -> str:
    """Pillow and its codec libraries, the deflate library, libvips, sharp (``sharp``: what its
    contender reported) and the commit being measured."""
    jpeg = features.version_feature("libjpeg_turbo")
    jpeg = f"libjpeg-turbo {jpeg}" if jpeg else f"libjpeg {features.version('jpg')}"
    deflate = features.version_feature("zlib_ng")
    deflate = f"zlib-ng {deflate}" if deflate else f"zlib {features.version('zlib')}"
    codecs = f"{jpeg}, {deflate}, libwebp {features.version('webp')}"
    try:
        vips = importlib.metadata.version("pyvips-binary")
    except importlib.metadata.PackageNotFoundError:
        vips = "-"
    node = (
        f", sharp {sharp['sharp']} (libvips {sharp['libvips']}, Node {sharp['node']})"
        if sharp
        else ""
    )
    return (
        f"Pillow {pillow_version} ({codecs}), isal {importlib.metadata.version('isal')} (the PNG "
        f"writer's deflate), Python's zlib {zlib.ZLIB_RUNTIME_VERSION}, libvips {vips}{node}, "
        f"commit {_commit()}"
    )


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "function", "bench"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' with uncommitted changes' if dirty else ''}"


if __name__ == "__main__":
    main()
