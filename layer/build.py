"""Build the function's Lambda layer (Pillow and the AWS SDK) for one architecture, reproducibly.

pip installs the pinned wheels of `layer/requirements.txt` for CPython 3.12 on manylinux
(glibc <= 2.28, which Lambda's Amazon Linux 2023 satisfies) and the target CPU, whatever the
machine running the build; the sources are then compiled to byte-code (see `layer.bytecode`).
The result is cached under `.cache/layers/` by a key of the requirements, the architecture, the
Python version and the builder version: a second build is a cache hit that neither runs pip nor
touches the network.

    python -m layer.build --arch x86_64|arm64 [--force]
"""

import argparse
import hashlib
import json
import logging
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from layer.bytecode import compile_tree
from layer.elf import elf_architecture
from layer.tree import (
    base64_sha256,
    extract_zip,
    normalise_tree,
    strip_tree,
    tree_digest,
    tree_size,
    write_zip,
)

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"
CACHE_ROOT = REPO_ROOT / ".cache" / "layers"
PYTHON_VERSION = "3.12"
RUNTIME = f"python{PYTHON_VERSION}"
# Bump when the build's output changes for the same requirements (it invalidates the cache).
BUILDER_VERSION = "2"
# Lambda architecture -> the CPU name in manylinux platform tags.
CPUS = {"x86_64": "x86_64", "arm64": "aarch64"}
# Newest glibc the wheels may need: manylinux_2_28 (Lambda's python3.12 runs on glibc 2.34).
MAX_GLIBC_MINOR = 28
OLDEST_GLIBC_MINOR = 17
# Lambda's limits are 250 MB unzipped (function + layers) and 50 MB zipped for a direct upload.
UNZIPPED_BUDGET_BYTES = 100 * 1024 * 1024
ZIPPED_LIMIT_BYTES = 50 * 1024 * 1024
PIP_TIMEOUT_SECONDS = 900
MANIFEST = "manifest.json"
# LayerBuild fields that describe one run, not the cached build (kept out of the manifest).
RUN_FIELDS = frozenset({"directory", "from_cache", "seconds"})


class LayerBuildError(RuntimeError):
    """The layer could not be built (no network, no matching wheel, wrong CPU, too big)."""


@dataclass(frozen=True)
class LayerBuild:
    """A built layer: its tree (`tree/python/...`), its reproducible zip and their figures."""

    architecture: str
    key: str
    directory: Path
    unzipped_bytes: int
    zipped_bytes: int
    tree_sha256: str
    source_code_hash: str
    from_cache: bool
    seconds: float

    @property
    def tree(self) -> Path:
        """The directory Lambda will see as /opt (it holds `python/`)."""
        return self.directory / "tree"

    @property
    def zip_path(self) -> Path:
        """The layer's zip: the tree, byte-for-byte reproducible."""
        return self.directory / "layer.zip"


def check_architecture(architecture: str) -> str:
    """Return the manylinux CPU name for a Lambda architecture, or raise ValueError."""
    try:
        return CPUS[architecture]
    except KeyError:
        raise ValueError(
            f"unknown Lambda architecture {architecture!r}: use one of {', '.join(CPUS)}"
        ) from None


def platform_tags(architecture: str) -> list[str]:
    """The manylinux tags pip may accept for the architecture, newest first.

    pip does not expand `manylinux_2_28_<cpu>` to the older tags it implies, so they are listed.
    """
    cpu = check_architecture(architecture)
    tags = [
        f"manylinux_2_{minor}_{cpu}" for minor in range(MAX_GLIBC_MINOR, OLDEST_GLIBC_MINOR - 1, -1)
    ]
    return [*tags, f"manylinux2014_{cpu}"]


def cache_key(requirements: str, architecture: str, python_version: str = PYTHON_VERSION) -> str:
    """Hex SHA-256 of everything the layer's content depends on."""
    check_architecture(architecture)
    inputs = {
        "requirements": requirements,
        "architecture": architecture,
        "python_version": python_version,
        "builder_version": BUILDER_VERSION,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def pip_command(requirements: Path, architecture: str, target: Path) -> list[str]:
    """The pip command that installs the requirements' wheels for Lambda into `target`."""
    platforms = [arg for tag in platform_tags(architecture) for arg in ("--platform", tag)]
    return [
        sys.executable, "-m", "pip", "install",
        "--disable-pip-version-check", "--no-input", "--quiet",
        "--only-binary=:all:", "--require-hashes", "--no-compile",
        "--implementation", "cp", "--python-version", PYTHON_VERSION,
        "--abi", f"cp{PYTHON_VERSION.replace('.', '')}", *platforms,
        "--target", str(target), "--requirement", str(requirements),
    ]  # fmt: skip


def explain_pip_failure(architecture: str, output: str) -> str:
    """A clear reason for a failed pip run, from its output."""
    lowered = output.lower()
    wheel = f"binary wheel for CPython {PYTHON_VERSION} on manylinux_2_28 {CPUS[architecture]}"
    if "from versions: none" in lowered:
        reason = f"no wheel found: the package index is unreachable (no network?) or has no {wheel}"
    elif "no matching distribution" in lowered or "could not find a version" in lowered:
        reason = f"the pinned version has no {wheel} (Lambda needs one; source builds are off)"
    elif "hash" in lowered:
        reason = "a wheel does not match, or lacks, its --hash in the layer's requirements"
    elif any(sign in lowered for sign in ("connection", "network is unreachable", "proxy")):
        reason = "cannot reach the package index (no network?)"
    else:
        reason = "pip failed"
    last_lines = "\n".join(output.strip().splitlines()[-8:])
    return f"building the Pillow layer for {architecture}: {reason}\n{last_lines}"


def check_extensions(python_dir: Path, architecture: str) -> None:
    """Raise unless PIL's `_imaging` is there and every shared object is for the target CPU."""
    imaging = list((python_dir / "PIL").glob("_imaging.cpython-312-*-linux-gnu.so"))
    if len(imaging) != 1:
        raise LayerBuildError(f"the {architecture} layer has no PIL/_imaging extension for cp312")
    for library in sorted(python_dir.rglob("*.so*")):
        if library.is_file() and elf_architecture(library) != architecture:
            raise LayerBuildError(f"{library.name} is not built for {architecture}")


def compile_bytecode(python_dir: Path, architecture: str) -> None:
    """Compile the tree's sources for Lambda, raising LayerBuildError if that is not possible."""
    try:
        count = compile_tree(python_dir)
    except (RuntimeError, py_compile.PyCompileError) as error:
        raise LayerBuildError(f"compiling the {architecture} layer's byte-code: {error}") from error
    logger.info("compiled %d modules to byte-code for %s", count, architecture)


def read_cached(directory: Path) -> LayerBuild | None:
    """The cache entry in `directory` if complete, its zip intact and its tree unmodified.

    A tree changed after the build (e.g. byte-code written by an import) is restored from the
    verified zip, offline.
    """
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    build = LayerBuild(**{**manifest, "directory": directory, "from_cache": True, "seconds": 0.0})
    if not build.zip_path.is_file() or base64_sha256(build.zip_path) != build.source_code_hash:
        logger.warning("discarding the corrupt layer cache entry %s", directory)
        return None
    if not build.tree.is_dir() or tree_digest(build.tree) != build.tree_sha256:
        logger.warning("restoring the modified layer tree %s from its zip", build.tree)
        shutil.rmtree(build.tree, ignore_errors=True)
        extract_zip(build.zip_path, build.tree)
    return build


def install(requirements: Path, architecture: str, tree: Path) -> None:
    """Run pip into `tree/python`, raising LayerBuildError with a clear reason on failure."""
    command = pip_command(requirements, architecture, tree / "python")
    logger.info("installing %s for %s", requirements.name, architecture)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=env,
            timeout=PIP_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise LayerBuildError(f"building the {architecture} layer: pip timed out") from error
    if result.returncode != 0:
        raise LayerBuildError(explain_pip_failure(architecture, result.stdout + result.stderr))


def build_layer(
    architecture: str,
    *,
    requirements: Path = REQUIREMENTS,
    cache_root: Path = CACHE_ROOT,
    force: bool = False,
) -> LayerBuild:
    """Build the layer for `architecture`, or return the cached build of the same inputs."""
    started = time.monotonic()
    key = cache_key(requirements.read_text(), architecture)
    directory = cache_root / f"{architecture}-py{PYTHON_VERSION}-{key[:16]}"
    cached = None if force else read_cached(directory)
    if cached is not None:
        logger.info("layer cache hit for %s: %s", architecture, directory)
        return cached
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_root))
    try:
        install(requirements, architecture, staging / "tree")
        strip_tree(staging / "tree" / "python")
        check_extensions(staging / "tree" / "python", architecture)
        compile_bytecode(staging / "tree" / "python", architecture)
        normalise_tree(staging / "tree")
        write_zip(staging / "tree", staging / "layer.zip")
        build = LayerBuild(
            architecture=architecture,
            key=key,
            directory=directory,
            unzipped_bytes=tree_size(staging / "tree"),
            zipped_bytes=(staging / "layer.zip").stat().st_size,
            tree_sha256=tree_digest(staging / "tree"),
            source_code_hash=base64_sha256(staging / "layer.zip"),
            from_cache=False,
            seconds=0.0,
        )
        check_size(build)
        manifest = {k: v for k, v in asdict(build).items() if k not in RUN_FIELDS}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        publish(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    elapsed = round(time.monotonic() - started, 2)
    logger.info("built the layer for %s in %.1f s: %s", architecture, elapsed, directory)
    return LayerBuild(**{**asdict(build), "seconds": elapsed})


def check_size(build: LayerBuild) -> None:
    """Raise if the layer exceeds its unzipped budget or Lambda's direct-upload limit."""
    if build.unzipped_bytes > UNZIPPED_BUDGET_BYTES:
        raise LayerBuildError(
            f"the layer is {build.unzipped_bytes / 1e6:.1f} MB unzipped, over its "
            f"{UNZIPPED_BUDGET_BYTES / 1e6:.0f} MB budget (Lambda allows 250 MB in all)"
        )
    if build.zipped_bytes > ZIPPED_LIMIT_BYTES:
        raise LayerBuildError(
            f"the layer's zip is {build.zipped_bytes / 1e6:.1f} MB, over Lambda's 50 MB limit"
        )


def publish(staging: Path, directory: Path) -> None:
    """Move a finished build into its cache entry (atomically; a concurrent twin wins)."""
    if directory.exists():
        shutil.rmtree(directory)
    try:
        staging.rename(directory)
    except OSError:
        if read_cached(directory) is None:
            raise


def main(argv: list[str] | None = None) -> int:
    """CLI: build (or reuse) the layer for one architecture and print where it is."""
    summary = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m layer.build", description=summary)
    parser.add_argument("--arch", required=True, choices=sorted(CPUS), help="Lambda architecture")
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        build = build_layer(args.arch, force=args.force)
    except LayerBuildError as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201 (CLI output)
        return 1
    source = "cache hit" if build.from_cache else f"built in {build.seconds:.1f} s"
    report = [
        f"layer {build.architecture} ({source})",
        f"  zip        {build.zip_path} ({build.zipped_bytes / 1e6:.1f} MB)",
        f"  tree       {build.tree} ({build.unzipped_bytes / 1e6:.1f} MB unzipped)",
        f"  code hash  {build.source_code_hash}",
    ]
    print("\n".join(report))  # noqa: T201 (CLI output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
