"""``python -m local.demo [IMAGES...]``: run the whole pipeline locally and show the result.

Starts an embedded S3 endpoint on loopback, creates the stack's buckets, uploads the sample images
(and any files or folders given), delivers each upload's S3 ``ObjectCreated`` event to the real
handler and prints what its manifest says, shows the notifications a subscribed queue received,
downloads the processed bucket to ``out/`` and writes ``out/index.html``; then deletes the first
processed upload and shows its outputs removed (the delete round trip).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from function.manifest import manifest_key
from function.variant_spec import parse_variants
from function.watermark import check_variants, parse_watermark
from local.demo_contract import facts_line, notifications_line
from local.demo_inputs import UsageError, collect_images, split_images
from local.demo_report import Picture, UploadResult, human_bytes, render_page, summary_table
from local.local_pipeline import Delivery, FunctionConfig, FunctionLoadError, LocalPipeline
from local.local_s3 import LocalS3, PortUnavailableError

DEFAULT_OUT = Path("out")
# What ``--watermark`` alone turns on: a text mark, tiled faintly over every variant but the
# thumbnail.
DEMO_WATERMARK = '{"text": "image-pipeline demo", "position": "bottom-right", "opacity": 0.6}'
ORIGINALS = "originals"
PROCESSED = "processed"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; ``--help`` describes it."""
    parser = argparse.ArgumentParser(
        prog="python -m local.demo",
        description=(
            "Run the image pipeline locally: an embedded S3 endpoint (moto) on 127.0.0.1, the "
            "stack's two buckets, and the real handler (function/lambda_function.py) receiving "
            "real S3 ObjectCreated events. Writes every variant and an HTML page to the output "
            "folder."
        ),
        epilog=(
            "Example: make demo IMAGES=\"~/Pictures/cat.jpg '~/Pictures/my holiday'\" "
            "(IMAGES is split like a shell command line)"
        ),
    )
    parser.add_argument(
        "images",
        nargs="*",
        metavar="IMAGES",
        help="image files or folders (each folder's images, at any depth) to upload after the "
        "samples",
    )
    parser.add_argument(
        "--images",
        dest="images_text",
        default="",
        metavar="TEXT",
        help="more IMAGES as one text split like a shell command line (how make passes IMAGES)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (out)")
    parser.add_argument(
        "--port", type=int, default=0, help="port of the S3 endpoint (default: a free one)"
    )
    parser.add_argument(
        "--no-samples", action="store_true", help="upload only IMAGES, not the samples"
    )
    parser.add_argument(
        "--variants", metavar="JSON", help="VARIANTS for the function (default: its defaults)"
    )
    parser.add_argument(
        "--keep-exif", action="store_true", help="KEEP_EXIF=true (non-GPS EXIF kept)"
    )
    parser.add_argument(
        "--watermark",
        metavar="JSON",
        nargs="?",
        const=DEMO_WATERMARK,
        help="WATERMARK for the function (alone: a text mark; see docs/formats.md)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="show the handler's logs")
    return parser.parse_args(argv)


def upload_keys(images: Sequence[Path]) -> list[str]:
    """One key per image, its file name, made unique with ``-2``, ``-3``... before the extension."""
    seen: set[str] = set()
    keys = []
    for image in images:
        key, count = image.name, 1
        while key in seen:
            count += 1
            key = f"{image.stem}-{count}{image.suffix}"
        seen.add(key)
        keys.append(key)
    return keys


def reset_output(out: Path) -> tuple[Path, Path]:
    """Empty the demo's own folders under ``out`` (nothing else there is touched)."""
    folders = (out / ORIGINALS, out / PROCESSED)
    for folder in folders:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    return folders


def local_path(root: Path, key: str) -> Path:
    """Where object ``key`` is saved under ``root``; refuses keys that would escape it."""
    path = (root / key).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError(f"object key {key!r} points outside {root}")
    return path


def download_bucket(client: Any, bucket: str, root: Path) -> int:
    """Download every object of ``bucket`` under ``root``; returns how many."""
    count = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            target = local_path(root, entry["Key"])
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, entry["Key"], str(target))
            count += 1
    return count


def to_result(key: str, original: Path, out: Path, delivery: Delivery) -> UploadResult:
    """What the page shows for one upload, from the handler's return value."""
    rel = f"{ORIGINALS}/{key}"
    size = original.stat().st_size
    if delivery.result is None:
        return UploadResult(
            key=key,
            original=Picture("original", rel, None, None, None, size),
            wall_ms=delivery.duration_ms,
            error=delivery.error,
            attempts=delivery.attempts,
        )
    for rejected in delivery.result.rejected:
        if rejected.key == key:
            return UploadResult(
                key=key,
                original=Picture("original", rel, None, None, None, size),
                wall_ms=delivery.duration_ms,
                reason=rejected.reason,
                attempts=delivery.attempts,
            )
    entry = next(item for item in delivery.result.processed if item.key == key)
    source = entry.source
    variants = tuple(
        Picture(
            label=Path(output.key).name.removeprefix(Path(key).stem + "_"),
            path=f"{PROCESSED}/{output.key}",
            format=output.format,
            width=output.width,
            height=output.height,
            size_bytes=(out / PROCESSED / output.key).stat().st_size,
        )
        for output in entry.outputs
    )
    return UploadResult(
        key=key,
        original=Picture("original", rel, source.format, source.width, source.height, size),
        variants=variants,
        handler_ms=entry.duration_ms,
        wall_ms=delivery.duration_ms,
        attempts=delivery.attempts,
    )


def describe_variants(variants_json: str | None) -> str:
    """A one-line description of the variants the function will write."""
    parts = []
    for spec in parse_variants(variants_json):
        bound = f" <= {spec.max_width or '-'}x{spec.max_height or '-'}" if spec.resizes else ""
        quality = f" q{spec.quality}" if spec.quality else ""
        parts.append(f"{spec.suffix} ({spec.format}{quality}{bound})")
    return ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit code (1 if any event failed after its retries)."""
    paths = [*args.images, *split_images(args.images_text)]
    images, scans = collect_images(paths, include_samples=not args.no_samples)
    keys = upload_keys(images)
    try:
        variants_text = describe_variants(args.variants)
    except ValueError as exc:
        raise UsageError(f"--variants: {exc}") from exc
    try:
        check_variants(parse_watermark(args.watermark), parse_variants(args.variants))
    except ValueError as exc:
        raise UsageError(f"--watermark: {exc}") from exc
    out: Path = args.out
    originals_dir, processed_dir = reset_output(out)
    config = FunctionConfig(
        variants_json=args.variants, keep_exif=args.keep_exif, watermark_json=args.watermark
    )
    for scan in scans:
        print(scan.summary())
    print("Starting the embedded S3 endpoint (moto) on 127.0.0.1 ...")
    with LocalS3(port=args.port) as s3:
        print(f"  listening on {s3.endpoint_url}")
        with LocalPipeline(s3, config=config) as pipeline:
            print(
                f"  buckets {pipeline.upload_bucket} and {pipeline.processed_bucket}: "
                "versioned, AES256, public access blocked, BucketOwnerEnforced"
            )
            print("  handler function/lambda_function.py loaded (cold start); variants:")
            print(f"    {variants_text}")
            results = []
            for index, (image, key) in enumerate(zip(images, keys, strict=True), start=1):
                data = image.read_bytes()
                print(
                    f"[{index}/{len(images)}] {key} ({human_bytes(len(data))}): uploading", end=""
                )
                pipeline.upload(key, data)
                shutil.copyfile(image, local_path(originals_dir, key))
                print(", delivering ObjectCreated event", end="", flush=True)
                delivery = pipeline.deliver(key)
                results.append((key, image, delivery))
                print(f" -> {_outcome(delivery, key)}")
                if delivery.result is not None and delivery.result.processed:
                    print(f"    manifest: {facts_line(_manifest(pipeline, key))}")
            print(f"Notifications received: {notifications_line(pipeline.notifications())}")
            count = download_bucket(pipeline.client, pipeline.processed_bucket, processed_dir)
            print(f"Downloaded {count} objects from {pipeline.processed_bucket} to {processed_dir}")
            _delete_round_trip(pipeline, results)
            endpoint = s3.endpoint_url
    page_results = [
        to_result(key, originals_dir / key, out, delivery) for key, _image, delivery in results
    ]
    page = out / "index.html"
    page.write_text(render_page(page_results, endpoint=endpoint, variants=variants_text))
    print()
    print(summary_table(page_results))
    print()
    print(f"Open {page.resolve().as_uri()}")
    failed = [result for result in page_results if result.status == "failed"]
    if failed:
        print(f"{len(failed)} upload(s) failed after retries: see above", file=sys.stderr)
        return 1
    return 0


def _manifest(pipeline: LocalPipeline, key: str) -> dict[str, Any]:
    body = pipeline.client.get_object(Bucket=pipeline.processed_bucket, Key=manifest_key(key))
    return json.loads(body["Body"].read())


def _delete_round_trip(pipeline: LocalPipeline, results: list[tuple[str, Path, Delivery]]) -> None:
    """Delete the first processed upload and show that its outputs went with it."""
    processed = [key for key, _, d in results if d.result is not None and d.result.processed]
    if not processed:
        return
    key = processed[0]
    delivery = pipeline.delete(key)
    removed = (
        [k for entry in delivery.result.deleted for k in entry.removed] if delivery.result else []
    )
    left = pipeline.client.list_objects_v2(
        Bucket=pipeline.processed_bucket, Prefix=manifest_key(key).rsplit("_", 1)[0]
    ).get("Contents", [])
    print(
        f"Delete round trip: deleted {key}, ObjectRemoved event -> {len(removed)} outputs removed, "
        f"{len(left)} left; notifications: {notifications_line(pipeline.notifications())}"
    )


def _outcome(delivery: Delivery, key: str) -> str:
    if delivery.result is None:
        return f"FAILED after {delivery.attempts} attempts: {delivery.error}"
    for rejected in delivery.result.rejected:
        if rejected.key == key:
            return f"rejected: {rejected.reason}"
    outputs = sum(len(item.outputs) for item in delivery.result.processed)
    return f"{outputs} variants in {delivery.duration_ms:.0f} ms"


def configure_logging(verbose: bool) -> None:
    """Warnings on stderr; the handler's own logs only with ``--verbose`` (the demo reports)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("  %(levelname)s %(name)s: %(message)s"))
    if not verbose:
        handler.addFilter(lambda record: record.name != "image_pipeline")
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse arguments, run, turn expected failures into a message and exit code."""
    args = parse_args(argv)
    configure_logging(args.verbose)
    try:
        return run(args)
    except (UsageError, PortUnavailableError, FunctionLoadError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
