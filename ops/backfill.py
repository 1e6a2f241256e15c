"""Reprocess a stack's existing uploads: invoke the function asynchronously with an S3 event for
every object of the upload bucket whose manifest does not already name its current version (and
list every expected variant), or for every object with ``--force``.

    python -m ops.backfill --stack dev [--prefix photos/] [--force] [--dry-run]
                               [--concurrency 4] [--rate 10] [--state FILE] [--fresh]

Objects already invoked by an earlier run (same key and version, kept in the ``--state`` JSON
file) are skipped, so an interrupted backfill resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from function.manifest import decode_manifest, manifest_key
from function.s3_event import event_name_for, object_created_event
from function.variant_spec import VariantSpec, parse_variants
from ops.backfill_plan import (
    BackfillState,
    RateLimiter,
    SourceObject,
    manifest_covers,
)
from ops.deployed_function import deployed_variants
from ops.outputs_source import (
    VARIANTS_OUTPUT,
    StackOutputsError,
    cannot_run_message,
    load_outputs,
    region_from_arn,
)
from ops.progress import ProgressBar

log = logging.getLogger("backfill")

SAVE_EVERY_SECONDS = 2.0
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8})
# Who the backfill's events say sent them, so the function's logs tell reprocessing from uploads.
BACKFILL_PRINCIPAL = "backfill"


@dataclass
class BackfillOptions:
    """What to backfill and how fast."""

    upload_bucket: str
    processed_bucket: str
    function_name: str
    region: str
    prefix: str = ""
    force: bool = False
    dry_run: bool = False
    concurrency: int = 4
    rate: float = 10.0
    state_path: Path | None = None
    fresh: bool = False
    page_size: int = 1000


@dataclass
class BackfillSummary:
    """Counts of one run, printed as JSON at the end."""

    upload_bucket: str
    function_name: str
    prefix: str
    listed: int = 0
    already_processed: int = 0
    already_done: int = 0
    to_invoke: int = 0
    invoked: int = 0
    failed: int = 0
    dry_run: bool = False
    elapsed_s: float = 0.0
    state_file: str | None = None
    failed_keys: list[str] = field(default_factory=list)


def list_sources(
    s3: Any, bucket: str, prefix: str, page_size: int = 1000
) -> Iterator[SourceObject]:
    """The current version of every object under ``prefix`` (delete markers excluded).

    Lists object versions so the event can name the version it is for; an unversioned bucket
    reports the version ``"null"``, given here as ``None``.
    """
    paginator = s3.get_paginator("list_object_versions")
    pages = paginator.paginate(
        Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}
    )
    for page in pages:
        for version in page.get("Versions", []):
            if not version.get("IsLatest"):
                continue
            version_id = version.get("VersionId")
            yield SourceObject(
                key=version["Key"],
                version_id=None if version_id in (None, "null") else version_id,
                size=version["Size"],
                etag=version["ETag"].strip('"'),
                last_modified=version["LastModified"],
            )


def read_manifest(s3: Any, bucket: str, source_key: str) -> dict[str, Any] | None:
    """The manifest the function wrote for ``source_key``, or ``None`` when there is none (or
    the object there is not a manifest)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=manifest_key(source_key))["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
            return None
        raise
    return decode_manifest(body)


def backfill_event(
    source: SourceObject, bucket: str, region: str, now: datetime | None = None
) -> dict[str, Any]:
    """The ``ObjectCreated`` event S3 would have sent for ``source``, marked as a backfill
    (principal and configuration id ``backfill``; ``CompleteMultipartUpload`` for a multipart
    ETag)."""
    when = now or datetime.now(UTC)
    return object_created_event(
        bucket=bucket,
        key=source.key,
        size=source.size,
        etag=source.etag,
        version_id=source.version_id,
        sequencer=f"{int(when.timestamp() * 1_000_000):018X}",
        event_time=when,
        region=region,
        event_name=event_name_for(source.etag),
        principal_id=BACKFILL_PRINCIPAL,
        configuration_id=BACKFILL_PRINCIPAL,
    )


def invoke_async(lambda_client: Any, function_name: str, event: dict[str, Any]) -> None:
    """Queue one asynchronous invocation; raise if Lambda did not accept it."""
    response = lambda_client.invoke(
        FunctionName=function_name,
        InvocationType="Event",
        Payload=json.dumps(event, separators=(",", ":")).encode(),
    )
    if response.get("StatusCode") != 202:
        raise RuntimeError(f"Lambda answered {response.get('StatusCode')} instead of 202")


def run_backfill(
    options: BackfillOptions,
    s3: Any,
    lambda_client: Any,
    variants: tuple[VariantSpec, ...],
    *,
    limiter: RateLimiter | None = None,
    progress_stream: Any = None,
) -> BackfillSummary:
    """Plan and run the backfill; return its summary (the state file is saved as it goes)."""
    started = time.monotonic()
    summary = BackfillSummary(
        upload_bucket=options.upload_bucket,
        function_name=options.function_name,
        prefix=options.prefix,
        dry_run=options.dry_run,
        state_file=str(options.state_path) if options.state_path else None,
    )
    state = BackfillState(bucket=options.upload_bucket)
    if options.state_path and not options.fresh:
        state = BackfillState.load(options.state_path, options.upload_bucket)

    pending: list[SourceObject] = []
    for source in list_sources(s3, options.upload_bucket, options.prefix, options.page_size):
        summary.listed += 1
        if state.is_done(source):
            summary.already_done += 1
        elif not options.force and manifest_covers(
            read_manifest(s3, options.processed_bucket, source.key), source, variants
        ):
            summary.already_processed += 1
        else:
            pending.append(source)
    summary.to_invoke = len(pending)
    log.info(
        "listed %d object(s): %d already processed, %d done by an earlier run, %d to invoke",
        summary.listed,
        summary.already_processed,
        summary.already_done,
        summary.to_invoke,
    )
    if options.dry_run:
        for source in pending:
            log.info("would invoke for s3://%s/%s", options.upload_bucket, source.key)
        summary.elapsed_s = round(time.monotonic() - started, 3)
        return summary

    limiter = limiter or RateLimiter(options.rate)
    progress = ProgressBar(len(pending), "backfill", stream=progress_stream)
    lock = threading.Lock()
    last_save = time.monotonic()

    def invoke_one(source: SourceObject) -> None:
        limiter.acquire()
        event = backfill_event(source, options.upload_bucket, options.region)
        invoke_async(lambda_client, options.function_name, event)

    def record(source: SourceObject, error: BaseException | None) -> None:
        nonlocal last_save
        with lock:
            if error is None:
                state.mark_done(source)
                summary.invoked += 1
            else:
                log.error("invoking for %s failed: %s", source.key, error)
                state.mark_failed(source, str(error))
                summary.failed += 1
                summary.failed_keys.append(source.key)
            progress.advance("invoked" if error is None else "failed")
            if options.state_path and time.monotonic() - last_save >= SAVE_EVERY_SECONDS:
                state.save(options.state_path)
                last_save = time.monotonic()

    executor = ThreadPoolExecutor(max_workers=max(1, options.concurrency))
    try:
        futures = {executor.submit(invoke_one, source): source for source in pending}
        for future in as_completed(futures):
            error = future.exception()
            if error is not None and not isinstance(
                error, ClientError | BotoCoreError | RuntimeError
            ):
                raise error
            record(futures[future], error)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        progress.close()
        if options.state_path:
            state.save(options.state_path)
    summary.elapsed_s = round(time.monotonic() - started, 3)
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m ops.backfill", description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="read the outputs of this Pulumi stack")
    source.add_argument("--outputs", help="stack outputs JSON file, or - for stdin")
    parser.add_argument("--prefix", default="", help="only objects whose key starts with this")
    parser.add_argument("--force", action="store_true", help="invoke even for processed objects")
    parser.add_argument("--dry-run", action="store_true", help="list what would be invoked")
    parser.add_argument("--concurrency", type=int, default=4, help="parallel invocations (4)")
    parser.add_argument("--rate", type=float, default=10.0, help="invocations per second (10)")
    parser.add_argument(
        "--state", type=Path, help="resumable state file (default .cache/backfill-<bucket>.json)"
    )
    parser.add_argument("--fresh", action="store_true", help="ignore the existing state file")
    parser.add_argument(
        "--variants",
        help="variants JSON (default: the outputs file's variants, else the deployed function's "
        "VARIANTS environment variable)",
    )
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.rate <= 0:
        parser.error("--concurrency must be >= 1 and --rate > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point: print the summary as JSON; exit 1 when an invocation failed."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    try:
        outputs = load_outputs(args.stack, args.outputs)
        region = region_from_arn(outputs["function_arn"])
        s3 = boto3.client("s3", region_name=region, config=CLIENT_CONFIG)
        lambda_client = boto3.client("lambda", region_name=region, config=CLIENT_CONFIG)
        override = args.variants or outputs.get(VARIANTS_OUTPUT)
        variants = (
            parse_variants(override)
            if override
            else deployed_variants(lambda_client, outputs["function_name"])
        )
        options = BackfillOptions(
            upload_bucket=outputs["upload_bucket_name"],
            processed_bucket=outputs["processed_bucket_name"],
            function_name=outputs["function_name"],
            region=region,
            prefix=args.prefix,
            force=args.force,
            dry_run=args.dry_run,
            concurrency=args.concurrency,
            rate=args.rate,
            state_path=args.state
            or Path(".cache") / f"backfill-{outputs['upload_bucket_name']}.json",
            fresh=args.fresh,
        )
        summary = run_backfill(options, s3, lambda_client, variants)
    except KeyboardInterrupt:
        print("backfill interrupted: the state file is saved, run again to resume", file=sys.stderr)
        return 130
    except (StackOutputsError, ValueError, ClientError, BotoCoreError) as exc:
        print(cannot_run_message("backfill", exc), file=sys.stderr)
        return 2
    print(json.dumps(asdict(summary), indent=2))
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
