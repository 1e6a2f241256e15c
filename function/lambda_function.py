"""Lambda entry point: write the configured image variants of every uploaded object.

Lambda loads it as ``function.lambda_function.lambda_handler`` (the package sits at the archive's
root). Settings and the S3 client are created once per container, and so is the PNG encode thread
when the memory size gives two vCPUs; a bad configuration fails here, at cold start, naming the
variable.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

import boto3
from botocore.config import Config

from function.animation import animates, still_variants, with_animations
from function.decoding import decode
from function.errors import PermanentError
from function.rendering import draft_planner, render_variants
from function.result import (
    HandlerResult,
    OutputSummary,
    ProcessedUpload,
    RejectedUpload,
    SourceSummary,
)
from function.s3_event import (
    BadRecord,
    QueueMessage,
    Upload,
    is_sqs_event,
    is_test_event,
    parse_records,
    parse_sqs_messages,
)
from function.settings import Settings, load_settings
from function.storage import Storage, source_metadata
from function.watermark import watermark_finisher

logger = logging.getLogger("image_pipeline")
if "AWS_LAMBDA_LOG_LEVEL" not in os.environ:  # otherwise the runtime applies the configured level
    logger.setLevel(logging.INFO)

MAX_KEY_BYTES = 1024
S3_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=30
)

SETTINGS = load_settings(os.environ)
STORAGE = Storage(boto3.client("s3", config=S3_CONFIG), SETTINGS.cache_control)


def png_executor(settings: Settings) -> Executor | None:
    """One worker thread for PNG encodes when ``settings`` call for it, else ``None`` (the
    thread itself starts with the first PNG submitted)."""
    if not settings.encode_thread:
        return None
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="png-encode")


PNG_EXECUTOR = png_executor(SETTINGS)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """Process every record of an S3 event notification, or of a batch of SQS messages holding
    them; returns :class:`HandlerResult` as JSON (see :func:`handle_event`)."""
    return handle_event(event, SETTINGS, STORAGE, PNG_EXECUTOR).to_json()


def handle_event(
    event: Any, settings: Settings, storage: Storage, executor: Executor | None = None
) -> HandlerResult:
    """Process each upload the event names and return what became of each; PNGs are encoded on
    ``executor`` when given.

    A permanent failure of one upload lands in ``rejected`` (logged at ERROR) and the other
    records carry on. A transient failure raises so Lambda retries the event (outputs have
    deterministic names, so the retry overwrites instead of duplicating); in a batch of SQS
    messages it names that message in ``batch_item_failures`` instead, and the others carry on.
    """
    result = HandlerResult()
    if is_sqs_event(event):
        for message in parse_sqs_messages(event):
            _handle_message(message, settings, storage, executor, result)
    elif is_test_event(event):
        logger.info("event has no records, ignored (for example s3:TestEvent)")
    else:
        _handle_uploads(parse_records(event), settings, storage, executor, result)
    return result


def _handle_message(
    message: QueueMessage,
    settings: Settings,
    storage: Storage,
    executor: Executor | None,
    result: HandlerResult,
) -> None:
    """Add one SQS message's outcome to ``result``: its uploads, or its id among the batch item
    failures when one of them failed transiently (the whole message is then retried)."""
    if message.is_test:
        logger.info("message %s is an s3:TestEvent, ignored", message.message_id)
        return
    outcome = HandlerResult()
    try:
        _handle_uploads(message.uploads, settings, storage, executor, outcome)
    except Exception:  # logged by _handle_uploads; SQS redelivers the message
        result.batch_item_failures.append(message.message_id)
        return
    result.processed.extend(outcome.processed)
    result.rejected.extend(outcome.rejected)


def _handle_uploads(
    items: Iterable[Upload | BadRecord],
    settings: Settings,
    storage: Storage,
    executor: Executor | None,
    result: HandlerResult,
) -> None:
    """Process ``items`` into ``result``; raises on the first transient failure."""
    for item in items:
        if isinstance(item, BadRecord):
            result.rejected.append(_reject(item.bucket, item.key, item.version_id, item.reason))
            continue
        try:
            entry = process_upload(item, settings, storage, executor)
        except PermanentError as exc:
            result.rejected.append(_reject(item.bucket, item.key, item.version_id, str(exc)))
            continue
        except Exception:
            logger.exception(
                "transient failure, the event will be retried",
                extra={"bucket": item.bucket, "key": item.key, "version_id": item.version_id},
            )
            raise
        logger.info("processed s3://%s/%s", item.bucket, item.key, extra=asdict(entry))
        result.processed.append(entry)


def process_upload(
    upload: Upload, settings: Settings, storage: Storage, executor: Executor | None = None
) -> ProcessedUpload:
    """Read, decode and render one upload entirely in memory (PNGs on ``executor`` when given),
    then write every output.

    Raises :class:`PermanentError` before anything is written when the upload cannot be turned
    into all of its outputs; S3 and network errors propagate.
    """
    started = time.perf_counter()
    if upload.bucket == settings.processed_bucket:
        raise PermanentError("record is from the processed bucket: refusing to process outputs")
    variants = settings.variants
    output_keys = [spec.output_key(upload.key) for spec in variants]
    longest = max(len(key.encode()) for key in output_keys)
    if longest > MAX_KEY_BYTES:
        raise PermanentError(f"output key would be {longest} bytes, S3 allows {MAX_KEY_BYTES}")
    limit = settings.max_input_bytes
    size = storage.object_size(upload.bucket, upload.key, upload.version_id)
    if size > limit:
        raise PermanentError(f"object too large: {size} bytes exceeds MAX_INPUT_BYTES={limit}")
    data = storage.download(upload.bucket, upload.key, upload.version_id, limit)
    if len(data) > limit:
        raise PermanentError(f"object too large: over {limit} bytes (MAX_INPUT_BYTES)")
    decoded = decode(
        data,
        settings.max_pixels,
        draft_planner(variants),
        max_alpha_pixels=settings.max_alpha_pixels,
        max_frame_pixels=settings.max_frame_pixels if any(map(animates, variants)) else None,
        budget=settings.budget,
    )
    try:
        finish = watermark_finisher(settings.watermark)
        stills = render_variants(
            decoded,
            still_variants(variants, decoded.frames),
            keep_exif=settings.keep_exif,
            png_executor=executor,
            finish=finish,
        )
        rendered = with_animations(data, variants, stills, decoded.frames, finish)
    # Rendering is pure and deterministic on the decoded pixels: a failure repeats on retry.
    except Exception as exc:
        raise PermanentError(f"cannot render variants: {type(exc).__name__}: {exc}") from exc
    metadata = source_metadata(upload.bucket, upload.key, upload.version_id)
    outputs = []
    for key, output in zip(output_keys, rendered, strict=True):
        content_type = output.spec.content_type
        storage.put(settings.processed_bucket, key, output.data, content_type, metadata)
        outputs.append(
            OutputSummary(
                key, len(output.data), output.width, output.height, output.spec.format, content_type
            )
        )
    width, height = decoded.source_size
    return ProcessedUpload(
        bucket=upload.bucket,
        key=upload.key,
        version_id=upload.version_id,
        source=SourceSummary(len(data), width, height, decoded.format),
        outputs=tuple(outputs),
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )


def _reject(
    bucket: str | None, key: str | None, version_id: str | None, reason: str
) -> RejectedUpload:
    entry = RejectedUpload(bucket, key, version_id, reason)
    logger.error("rejected s3://%s/%s: %s", bucket, key, reason, extra=asdict(entry))
    return entry
