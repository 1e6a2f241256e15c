"""``python -m bench.layer_cold_import``: the handler module's cold import the way Lambda loads it.

A bare Python 3.12 (``-I``; ``-B`` because Lambda's /opt and /var/task are read-only) imports the
handler module with only the function's deployed sources, the built layer's ``python/`` and the
standard library on ``sys.path``, in fresh processes. Three layouts of the same packages:

- ``shipped``: Pillow and the AWS SDK from the layer, with the layer's byte-code;
- ``no byte-code``: the same layer without its ``.pyc`` files (every module compiled at import);
- ``runtime SDK``: Pillow from the layer without byte-code and the SDK, with byte-code, from a
  directory after it (where the Lambda runtime's bundled SDK sits): the layout before the SDK
  was shipped.

It also prints the layer's sizes and what the function's archive would weigh holding the SDK.

    python -m bench.layer_cold_import [--arch x86_64|arm64] [--runs 9]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from infra.packaging import HANDLER, function_sources
from layer.build import build_layer
from layer.bytecode import bytecode_path
from layer.tree import write_zip

HANDLER_MODULE = HANDLER.rsplit(".", 1)[0]
PROBE = """
import importlib, json, sys, time
module, expected_sdk, *paths = sys.argv[1:]
sys.path[:] = paths + [p for p in sys.path if p and "-packages" not in p]
started = time.perf_counter()
importlib.import_module(module)
elapsed = (time.perf_counter() - started) * 1000
import boto3, PIL
if not boto3.__file__.startswith(expected_sdk) or not PIL.__file__.startswith(paths[1]):
    raise SystemExit(f"wrong layout: boto3 {boto3.__file__}, PIL {PIL.__file__}")
print(json.dumps(elapsed))
"""
CHILD_ENV = {
    "PROCESSED_BUCKET": "bench-processed",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def python312() -> str:
    """The base Python 3.12 behind this virtualenv (no site-packages of its own in use)."""
    candidate = Path(sys.base_prefix) / "bin" / "python3.12"
    if not candidate.is_file():
        raise SystemExit(f"no Python 3.12 at {candidate}")
    return str(candidate)


def sdk_entries(site: Path) -> list[str]:
    """Top-level names under `site` that belong to the SDK's distributions (all but Pillow)."""
    names: set[str] = set()
    for distribution in importlib.metadata.distributions(path=[str(site)]):
        if distribution.metadata["Name"].lower() != "pillow":
            names.update(file.parts[0] for file in distribution.files or ())
    return sorted(names)


def move_entry(name: str, source: Path, destination: Path) -> None:
    """Move one top-level package or module (with its top-level byte-code) between sites."""
    shutil.move(source / name, destination / name)
    if name.endswith(".py"):
        cached = bytecode_path(source / name)
        if cached.is_file():
            target = bytecode_path(destination / name)
            target.parent.mkdir(exist_ok=True)
            shutil.move(cached, target)


def prepare(layer_python: Path, work: Path) -> dict[str, tuple[Path, list[Path]]]:
    """Lay out the three variants; each is (where boto3 must come from, sys.path entries)."""
    task = work / "task"
    for name, path in function_sources().items():
        (task / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, task / name)
    shipped = work / "shipped"
    shutil.copytree(layer_python, shipped)
    plain = work / "plain"
    shutil.copytree(layer_python, plain, ignore=shutil.ignore_patterns("__pycache__"))
    runtime_layer, runtime_sdk = work / "runtime-layer", work / "runtime-sdk"
    shutil.copytree(plain, runtime_layer)
    runtime_sdk.mkdir()
    for name in sdk_entries(runtime_layer):
        shutil.rmtree(runtime_layer / name) if (runtime_layer / name).is_dir() else (
            runtime_layer / name
        ).unlink()
    sdk_source = work / "sdk-source"
    shutil.copytree(layer_python, sdk_source)
    for name in sdk_entries(sdk_source):
        move_entry(name, sdk_source, runtime_sdk)
    return {
        "shipped": (shipped, [task, shipped]),
        "no byte-code": (plain, [task, plain]),
        "runtime SDK": (runtime_sdk, [task, runtime_layer, runtime_sdk]),
    }


def time_import(expected_sdk: Path, paths: list[Path]) -> float:
    """Milliseconds to import the handler module in one fresh isolated process."""
    command = [python312(), "-I", "-B", "-c", PROBE, HANDLER_MODULE, str(expected_sdk)]
    result = subprocess.run(
        [*command, *map(str, paths)],
        capture_output=True,
        text=True,
        env={**os.environ, **CHILD_ENV},
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the import failed:\n{result.stderr}")
    return json.loads(result.stdout)


def zipped_bytes(roots: list[Path], work: Path) -> int:
    """Bytes of a reproducible zip of the files under `roots`, merged (as one archive)."""
    merged = work / "merged"
    shutil.rmtree(merged, ignore_errors=True)
    for root in roots:
        shutil.copytree(root, merged, dirs_exist_ok=True)
    write_zip(merged, work / "merged.zip")
    return (work / "merged.zip").stat().st_size


def main(argv: list[str] | None = None) -> int:
    """CLI: print the layer's sizes and the median cold import of each layout."""
    machine = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
    parser = argparse.ArgumentParser(prog="python -m bench.layer_cold_import")
    parser.add_argument("--arch", default=machine, choices=["x86_64", "arm64"])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    if args.arch != machine:
        raise SystemExit(f"this machine runs {machine}; it cannot import the {args.arch} layer")
    build = build_layer(args.arch)
    with tempfile.TemporaryDirectory(prefix="layer-cold-import-") as scratch:
        work = Path(scratch)
        layout = prepare(build.tree / "python", work)
        task = layout["shipped"][1][0]
        lines = [
            f"layer {build.architecture}: {build.unzipped_bytes / 1e6:.1f} MB unzipped, "
            f"{build.zipped_bytes / 1e6:.1f} MB zipped (Lambda: 250 MB unzipped in all)",
            f"function archive: {zipped_bytes([task], work) / 1e3:.0f} kB zipped; holding the SDK"
            f" too: {zipped_bytes([task, layout['runtime SDK'][0]], work) / 1e6:.1f} MB zipped",
            f"cold import of {HANDLER_MODULE}, median of {args.runs} fresh Python 3.12 -I -B:",
        ]
        samples: dict[str, list[float]] = {name: [] for name in layout}
        for _ in range(args.runs):  # interleaved, so a busy moment hits every layout alike
            for name, (expected_sdk, paths) in layout.items():
                samples[name].append(time_import(expected_sdk, paths))
        for name, times in samples.items():
            lines.append(
                f"  {name:<13} {statistics.median(times):6.0f} ms"
                f"  (min {min(times):.0f}, max {max(times):.0f})"
            )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
