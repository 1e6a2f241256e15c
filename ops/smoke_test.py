"""Smoke-test a deployed pipeline from its stack outputs.

    python -m ops.smoke_test --stack dev
    python -m ops.smoke_test --outputs stack-outputs.json   # or --outputs - (stdin)

Uploads a small generated JPEG under a unique ``smoke/`` key, waits (bounded, with backoff) for
every expected variant in the processed bucket, checks that each decodes with the right format
and size, waits for the manifest and checks every ``sha256`` it lists against the stored bytes,
deletes the probe and waits for its outputs to be removed (unless ``--skip-delete-check``),
deletes every object version it caused and exits non-zero on any failure. On success it prints
one line (``--verbose``: each variant's timing and its progress on stderr). The expected variants
come from ``--variants``, else the outputs file's ``variants``, else the deployed function's
configuration. boto3 honours ``AWS_ENDPOINT_URL``, so the same command runs against a local
endpoint.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from function.manifest import manifest_key
from function.variant_spec import DEFAULT_VARIANTS, VariantSpec, parse_variants
from ops.deployed_function import deployed_variants
from ops.outputs_source import (
    VARIANTS_OUTPUT,
    StackOutputsError,
    cannot_run_message,
    load_outputs,
    region_from_arn,
)
from ops.smoke_check import (
    PROBE_SIZE,
    VariantResult,
    backoff_delays,
    format_report,
    inspect_variant,
    manifest_problems,
    missing_variants_message,
    probe_image,
    smoke_key,
)

log = logging.getLogger("smoke_test")

DEFAULT_TIMEOUT = 180.0
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})


class SmokeTestError(Exception):
    """The pipeline did not produce correct variants for the probe upload."""


@dataclass
class SmokeRun:
    """What one run did, for the report and the cleanup."""

    upload_key: str
    upload_version: str | None = None
    upload_seconds: float = 0.0
    results: list[VariantResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def variants_for(
    lambda_client: Any, function_name: str, override: str | None
) -> tuple[VariantSpec, ...]:
    """``override`` when given, else the deployed function's ``VARIANTS``; the defaults (with a
    warning) when the function's configuration cannot be read."""
    if override:
        return parse_variants(override)
    try:
        return deployed_variants(lambda_client, function_name)
    except (ClientError, BotoCoreError) as exc:
        log.warning(
            "cannot read %s's configuration (%s): expecting the default variants; "
            "pass --variants to be explicit",
            function_name,
            exc,
        )
        return DEFAULT_VARIANTS


def wait_for_variants(
    s3: Any,
    bucket: str,
    expected: dict[str, VariantSpec],
    started: float,
    timeout: float,
    *,
    clock: Any = time.monotonic,
    sleep: Any = time.sleep,
) -> list[VariantResult]:
    """Poll ``bucket`` for every expected key until all are there or ``timeout`` passes.

    Each key found is fetched and inspected once; the result of a key never found has no time.
    """
    found: dict[str, VariantResult] = {}
    delays = backoff_delays()
    while True:
        for key, spec in expected.items():
            if key in found:
                continue
            try:
                obj = s3.get_object(Bucket=bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in NOT_FOUND:
                    continue
                raise
            seconds = clock() - started
            body = obj["Body"].read()
            found[key] = inspect_variant(
                key=key,
                spec=spec,
                body=body,
                content_type=obj.get("ContentType"),
                source=PROBE_SIZE,
                seconds=seconds,
            )
            log.info("variant %s appeared after %.2fs", key, seconds)
        remaining = timeout - (clock() - started)
        if len(found) == len(expected) or remaining <= 0:
            break
        sleep(min(next(delays), remaining))
    return [found.get(key, VariantResult(key, spec)) for key, spec in expected.items()]


def wait_until(
    check: Any,
    started: float,
    timeout: float,
    *,
    clock: Any = time.monotonic,
    sleep: Any = time.sleep,
) -> Any:
    """Call ``check`` (with backoff) until it returns something truthy or ``timeout`` passes;
    returns its last result."""
    delays = backoff_delays()
    while True:
        result = check()
        remaining = timeout - (clock() - started)
        if result or remaining <= 0:
            return result
        sleep(min(next(delays), remaining))


def read_if_present(s3: Any, bucket: str, key: str) -> bytes | None:
    """The object's bytes, or ``None`` when it does not exist."""
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in NOT_FOUND:
            return None
        raise


def check_manifest(
    s3: Any, bucket: str, run: SmokeRun, keys: list[str], timeout: float
) -> list[str]:
    """Wait for the probe's manifest and compare it with the stored variants."""
    key = manifest_key(run.upload_key)
    body = wait_until(lambda: read_if_present(s3, bucket, key), time.monotonic(), timeout)
    manifest = json.loads(body) if body else None
    stored = {k: read_if_present(s3, bucket, k) or b"" for k in keys}
    return manifest_problems(manifest, run.upload_key, run.upload_version, stored)


def check_delete_removes_outputs(
    s3: Any, buckets: tuple[str, str], run: SmokeRun, keys: list[str], timeout: float
) -> list[str]:
    """Delete the probe from ``buckets[0]`` and wait for its variants and manifest to be removed
    from ``buckets[1]``."""
    upload_bucket, bucket = buckets
    s3.delete_object(Bucket=upload_bucket, Key=run.upload_key)
    every = [*keys, manifest_key(run.upload_key)]

    def left() -> list[str]:
        return [k for k in every if read_if_present(s3, bucket, k) is not None]

    remaining = wait_until(lambda: not left(), time.monotonic(), timeout)
    still = [] if remaining else left()
    return [f"{k} was not removed after the probe was deleted" for k in still]


def delete_all_versions(s3: Any, bucket: str, key: str) -> int:
    """Delete every version and delete marker of exactly ``key``; return how many."""
    deleted = 0
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=key):
        for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
            if entry["Key"] != key:
                continue
            s3.delete_object(Bucket=bucket, Key=key, VersionId=entry["VersionId"])
            deleted += 1
    return deleted


def run_smoke_test(
    outputs: dict[str, str],
    s3: Any,
    variants: tuple[VariantSpec, ...],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    keep: bool = False,
    delete_check: bool = True,
) -> SmokeRun:
    """Upload the probe, wait for and check its variants, clean up; raise
    :class:`SmokeTestError` with the report on any failure."""
    upload_bucket = outputs["upload_bucket_name"]
    processed_bucket = outputs["processed_bucket_name"]
    run = SmokeRun(upload_key=smoke_key(uuid.uuid4().hex[:12]))
    expected = {spec.output_key(run.upload_key): spec for spec in variants}
    body = probe_image()
    started = time.monotonic()
    try:
        response = s3.put_object(
            Bucket=upload_bucket, Key=run.upload_key, Body=body, ContentType="image/jpeg"
        )
        run.upload_version = response.get("VersionId")
        run.upload_seconds = time.monotonic() - started
        log.info("uploaded s3://%s/%s (%d bytes)", upload_bucket, run.upload_key, len(body))
        run.results = wait_for_variants(s3, processed_bucket, expected, started, timeout)
        if all(result.ok for result in run.results):
            run.problems = check_manifest(s3, processed_bucket, run, list(expected), timeout)
            if delete_check and not run.problems:
                run.problems = check_delete_removes_outputs(
                    s3, (upload_bucket, processed_bucket), run, list(expected), timeout
                )
    finally:
        if not keep:
            outputs_made = [*expected, manifest_key(run.upload_key)]
            _clean_up(s3, upload_bucket, processed_bucket, run.upload_key, outputs_made)
    report = format_report(
        f"s3://{upload_bucket}/{run.upload_key}", run.upload_seconds, run.results
    )
    missing = [r.key for r in run.results if r.seconds is None]
    if missing:
        raise SmokeTestError(
            report
            + "\n"
            + missing_variants_message(
                missing=missing,
                total=len(expected),
                bucket=processed_bucket,
                timeout=timeout,
                log_group=outputs["log_group_name"],
                queue_url=outputs["failure_queue_url"],
            )
        )
    if not all(result.ok for result in run.results):
        raise SmokeTestError(report + "\nsome variants are wrong (see FAIL lines above)")
    if run.problems:
        raise SmokeTestError(report + "\n" + "\n".join(run.problems))
    return run


def _clean_up(
    s3: Any, upload_bucket: str, processed_bucket: str, upload_key: str, output_keys: list[str]
) -> None:
    removed = delete_all_versions(s3, upload_bucket, upload_key)
    for key in output_keys:
        removed += delete_all_versions(s3, processed_bucket, key)
    log.info("cleaned up %d object version(s)", removed)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m ops.smoke_test", description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="read the outputs of this Pulumi stack")
    source.add_argument("--outputs", help="stack outputs JSON file, or - for stdin")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds to wait for the variants ({DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--variants",
        help="variants JSON (default: the outputs file's variants, else the deployed function's "
        "VARIANTS environment variable)",
    )
    parser.add_argument("--keep", action="store_true", help="leave the smoke objects in place")
    parser.add_argument(
        "--skip-delete-check",
        action="store_true",
        help="do not check that deleting the probe removes its outputs (deleteOutputs off)",
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="show each variant and the progress"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point: 0 when every variant is right, 1 when the pipeline failed, 2 when the test
    could not run (outputs, credentials, buckets)."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        outputs = load_outputs(args.stack, args.outputs)
        region = region_from_arn(outputs["function_arn"])
        s3 = boto3.client("s3", region_name=region, config=CLIENT_CONFIG)
        lambda_client = boto3.client("lambda", region_name=region, config=CLIENT_CONFIG)
        override = args.variants or outputs.get(VARIANTS_OUTPUT)
        variants = variants_for(lambda_client, outputs["function_name"], override)
        run = run_smoke_test(
            outputs,
            s3,
            variants,
            timeout=args.timeout,
            keep=args.keep,
            delete_check=not args.skip_delete_check,
        )
    except SmokeTestError as exc:
        print(f"SMOKE TEST FAILED\n{exc}", file=sys.stderr)
        return 1
    except (StackOutputsError, ValueError, ClientError, BotoCoreError) as exc:
        print(cannot_run_message("smoke test", exc), file=sys.stderr)
        return 2
    if args.verbose:
        print(
            format_report(
                f"s3://{outputs['upload_bucket_name']}/{run.upload_key}",
                run.upload_seconds,
                run.results,
            )
        )
    slowest = max(result.seconds or 0.0 for result in run.results)
    print(
        f"smoke test passed: {len(run.results)} variant(s), all within {slowest:.2f}s; "
        "manifest complete, every sha256 matches the stored bytes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
