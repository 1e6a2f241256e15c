"""``python -m local.doc_samples``: regenerate the sample outputs quoted in the docs from the code.

Each generated block of ``README.md`` and ``docs/*.md`` sits between ``<!-- generated:NAME -->``
and ``<!-- /generated:NAME -->``; this rewrites every such block from a fresh run:

- ``demo-folder-scan``: what the demo says about a folder it searched (deterministic);
- ``demo-sizes``: the demo's samples through the real handler on the local pipeline, one row per
  variant with its format, dimensions and bytes (deterministic for given library versions);
- ``smoke-pass``: the smoke test against the local pipeline, by default and with ``--verbose``
  (keys and timings change from run to run);
- ``smoke-missing``: the end of the smoke test's report when no variant appears (deterministic).

``--check`` rewrites nothing and exits 1 when a deterministic block differs from a fresh run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from function.variant_spec import DEFAULT_VARIANTS, variants_to_json
from local.demo import configure_logging, upload_keys
from local.demo_inputs import scan_folder
from local.demo_samples import REPO_ROOT, sample_paths
from local.local_pipeline import FunctionConfig, LocalPipeline
from local.local_s3 import DUMMY_CREDENTIALS, LocalS3
from ops import smoke_test
from ops.outputs_source import VARIANTS_OUTPUT
from ops.smoke_check import missing_variants_message

logger = logging.getLogger(__name__)

BLOCK = re.compile(
    r"(?P<open><!-- generated:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)"
    r"(?P<close><!-- /generated:(?P=name) -->)",
    re.DOTALL,
)
# The blocks a fresh run reproduces byte for byte (the others hold random keys and timings).
DETERMINISTIC = ("demo-folder-scan", "demo-sizes", "smoke-missing")
# The folder ``demo-folder-scan`` describes: images at several depths, and files the demo skips.
FOLDER_EXAMPLE = (
    "sunset ü.webp",
    "2023/harbour.jpg",
    "2023/beach day/waves.png",
    "notes.txt",
    ".DS_Store",
    ".thumbs/sunset.jpg",
)
SMOKE_OUTPUTS_FILE = "out/local-stack.json"


def doc_files(root: Path = REPO_ROOT) -> list[Path]:
    """The pages that may hold generated blocks: ``README.md`` and ``docs/*.md``."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def blocks_in(text: str) -> dict[str, str]:
    """Every generated block of ``text``: name -> body (between the markers)."""
    return {match["name"]: match["body"] for match in BLOCK.finditer(text)}


def replace_blocks(text: str, bodies: Mapping[str, str]) -> str:
    """``text`` with the body of every block named in ``bodies`` replaced (others untouched)."""

    def body_for(match: re.Match[str]) -> str:
        body = bodies.get(match["name"], match["body"])
        return match["open"] + body + match["close"]

    return BLOCK.sub(body_for, text)


def demo_folder_scan() -> str:
    """The line the demo prints for a folder of :data:`FOLDER_EXAMPLE`."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for name in FOLDER_EXAMPLE:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(b"")
        return f"```\n{scan_folder(root, '~/Pictures/holiday').summary()}\n```\n"


def demo_sizes() -> str:
    """A Markdown table of every variant the function writes for the demo's samples."""
    samples = sample_paths()
    rows = ["| sample | variant | format | size | bytes |", "| --- | --- | --- | --- | ---: |"]
    with LocalS3() as s3, LocalPipeline(s3, config=FunctionConfig()) as pipeline:
        for path, key in zip(samples, upload_keys(samples), strict=True):
            pipeline.upload(key, path.read_bytes())
            result = pipeline.deliver(key).result
            if result is None:
                raise RuntimeError(f"the handler failed on the sample {key}")
            if result.rejected:
                rows.append(f"| {key} | rejected: {result.rejected[0].reason} | | | |")
                continue
            (entry,) = result.processed
            source = entry.source
            rows.append(
                f"| {key} | original | {source.format} | {source.width}x{source.height} "
                f"| {source.bytes:,} |"
            )
            for output in entry.outputs:
                variant = Path(output.key).name.removeprefix(Path(key).stem + "_")
                rows.append(
                    f"| | {variant} | {output.format} | {output.width}x{output.height} "
                    f"| {output.bytes:,} |"
                )
    return "\n".join(rows) + "\n"


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _smoke_stdout(argv: Sequence[str]) -> str:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = smoke_test.main(list(argv))
    if code != 0:
        raise RuntimeError(f"the smoke test failed on the local pipeline ({code})")
    return stdout.getvalue()


def smoke_pass() -> str:
    """The smoke test's output on the local stack: by default, then with ``--verbose``."""
    with LocalS3() as s3:
        env = {
            "AWS_ENDPOINT_URL": s3.endpoint_url,
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
        }
        with (
            _environment(env),
            LocalPipeline(s3, config=FunctionConfig()) as pipeline,
            pipeline.watch(interval_s=0.1),
        ):
            outputs = REPO_ROOT / SMOKE_OUTPUTS_FILE
            outputs.parent.mkdir(parents=True, exist_ok=True)
            variants = variants_to_json(DEFAULT_VARIANTS)
            outputs.write_text(f"{_outputs_json(pipeline.stack_outputs(), variants)}\n")
            quiet = _smoke_stdout(["--outputs", str(outputs)])
            verbose = _smoke_stdout(["--outputs", str(outputs), "--verbose"])
    return (
        f"```\n$ .venv/bin/python -m ops.smoke_test --outputs {SMOKE_OUTPUTS_FILE}\n{quiet}"
        f"$ .venv/bin/python -m ops.smoke_test --outputs {SMOKE_OUTPUTS_FILE} --verbose\n"
        f"{verbose}```\n"
    )


def _outputs_json(outputs: Mapping[str, str], variants: str) -> str:
    return json.dumps({**outputs, VARIANTS_OUTPUT: variants}, indent=2)


def smoke_missing() -> str:
    """How the smoke test's report ends when no variant appears, for the local stack's names."""
    with LocalS3() as s3, LocalPipeline(s3, config=FunctionConfig()) as pipeline:
        outputs = pipeline.stack_outputs()
    message = missing_variants_message(
        missing=[],
        total=5,
        bucket=outputs["processed_bucket_name"],
        timeout=smoke_test.DEFAULT_TIMEOUT,
        log_group=outputs["log_group_name"],
        queue_url=outputs["failure_queue_url"],
    )
    tail = message[message.index("The function did not write them") :]  # keys vary; this not
    return f"```\n{tail}\n```\n"


GENERATORS: dict[str, Callable[[], str]] = {
    "demo-folder-scan": demo_folder_scan,
    "demo-sizes": demo_sizes,
    "smoke-pass": smoke_pass,
    "smoke-missing": smoke_missing,
}


def generate(names: Sequence[str]) -> dict[str, str]:
    """A fresh body for each named block."""
    return {name: GENERATORS[name]() for name in names}


def stale_blocks(files: Sequence[Path], fresh: Mapping[str, str]) -> list[str]:
    """``file: block`` for every block of ``files`` whose body differs from ``fresh``."""
    return [
        f"{path.name}: {name}"
        for path in files
        for name, body in blocks_in(path.read_text(encoding="utf-8")).items()
        if name in fresh and body != fresh[name]
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite every generated block (``--check``: compare the deterministic ones, exit 1 when
    stale)."""
    parser = argparse.ArgumentParser(prog="python -m local.doc_samples", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, rewrite nothing")
    args = parser.parse_args(argv)
    configure_logging(verbose=False)
    files = doc_files()
    if args.check:
        stale = stale_blocks(files, generate(DETERMINISTIC))
        for entry in stale:
            print(f"stale: {entry} (run python -m local.doc_samples)", file=sys.stderr)
        return 1 if stale else 0
    used = sorted({name for path in files for name in blocks_in(path.read_text(encoding="utf-8"))})
    unknown = [name for name in used if name not in GENERATORS]
    if unknown:
        print(f"unknown generated block(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    fresh = generate(used)
    for path in files:
        text = path.read_text(encoding="utf-8")
        updated = replace_blocks(text, fresh)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            print(f"updated {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
