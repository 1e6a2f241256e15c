"""Lambda entry point: write the configured image variants and the manifest of every uploaded
object, remove them when it is deleted, and announce each outcome (see :mod:`function.reconcile`).

Lambda loads it as ``function.lambda_function.lambda_handler`` (the package sits at the archive's
root). Settings and the S3 and SNS clients are created once per container, and so is the PNG
encode thread when the memory size gives two vCPUs; a bad configuration fails here, at cold
start, naming the variable.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial
from typing import Any

import boto3
from botocore.config import Config

from function.animation import animates, still_variants, with_animations
from function.decoding import decode, has_transparency
from function.errors import PermanentError
from function.notifications import Notifier
from function.photo_facts import photo_facts
from function.reconcile import (
    Contract,
    Outcome,
    RenderedUpload,
    Renderer,
    handle_removal,
    handle_upload,
    reject,
)
from function.rendering import draft_planner, render_variants
from function.result import (
    HandlerResult,
    ProcessedUpload,
    RejectedUpload,
    SkippedRecord,
)
from function.s3_event import (
    BadRecord,
    QueueMessage,
    Removal,
    Upload,
    is_sqs_event,
    is_test_event,
    parse_records,
    parse_sqs_messages,
)
from function.settings import Settings, load_settings
from function.storage import Storage
from function.watermark import watermark_finisher

logger = logging.getLogger("image_pipeline")
if "AWS_LAMBDA_LOG_LEVEL" not in os.environ:  # otherwise the runtime applies the configured level
    logger.setLevel(logging.INFO)

S3_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=30
)

SETTINGS = load_settings(os.environ)
STORAGE = Storage(boto3.client("s3", config=S3_CONFIG), SETTINGS.cache_control)
NOTIFIER = (
    Notifier(boto3.client("sns", config=S3_CONFIG), SETTINGS.notification_topic_arn)
    if SETTINGS.notification_topic_arn
    else None
)


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
    return handle_event(event, SETTINGS, STORAGE, PNG_EXECUTOR, NOTIFIER).to_json()


def handle_event(
    event: Any,
    settings: Settings,
    storage: Storage,
    executor: Executor | None = None,
    notifier: Notifier | None = None,
) -> HandlerResult:
    """Act on each record of the event and return what became of each; PNGs are encoded on
    ``executor`` when given, outcomes published through ``notifier`` when given.

    A permanent failure of one upload lands in ``rejected`` (logged at ERROR) and the other
    records carry on. A transient failure raises so Lambda retries the event (an attempt that
    fails while writing removes what it wrote, and the retry writes the whole set); in a batch of
    SQS messages it names that message in ``batch_item_failures`` instead, and the others carry
    on.
    """
    result = HandlerResult()
    contract = Contract(settings, storage, notifier)
    render = partial(render_upload, settings=settings, storage=storage, executor=executor)
    if is_sqs_event(event):
        for message in parse_sqs_messages(event):
            _handle_message(message, contract, render, result)
    elif is_test_event(event):
        logger.info("event has no records, ignored (for example s3:TestEvent)")
    else:
        _handle_records(parse_records(event), contract, render, result)
    return result


def _handle_message(
    message: QueueMessage, contract: Contract, render: Renderer, result: HandlerResult
) -> None:
    """Add one SQS message's outcome to ``result``: its records', or its id among the batch item
    failures when one of them failed transiently (the whole message is then retried)."""
    if message.is_test:
        logger.info("message %s is an s3:TestEvent, ignored", message.message_id)
        return
    outcome = HandlerResult()
    try:
        _handle_records(message.uploads, contract, render, outcome)
    except Exception:  # logged by _handle_records; SQS redelivers the message
        result.batch_item_failures.append(message.message_id)
        return
    result.processed.extend(outcome.processed)
    result.rejected.extend(outcome.rejected)
    result.skipped.extend(outcome.skipped)
    result.deleted.extend(outcome.deleted)


def _handle_records(
    items: Iterable[Upload | Removal | BadRecord],
    contract: Contract,
    render: Renderer,
    result: HandlerResult,
) -> None:
    """Act on ``items`` into ``result``; raises on the first transient failure."""
    for item in items:
        if isinstance(item, BadRecord):
            result.rejected.append(
                reject(contract, item.bucket, item.key, item.version_id, item.reason)
            )
            continue
        try:
            if isinstance(item, Removal):
                outcome = handle_removal(item, contract, render)
            else:
                outcome = handle_upload(item, contract, render)
        except Exception:
            logger.exception(
                "transient failure, the event will be retried",
                extra={"bucket": item.bucket, "key": item.key, "version_id": item.version_id},
            )
            raise
        _record(result, outcome)


def render_upload(
    upload: Upload, *, settings: Settings, storage: Storage, executor: Executor | None = None
) -> RenderedUpload:
    """Read, decode and render the version ``upload`` names entirely in memory (PNGs on
    ``executor`` when given), with the facts the manifest reports.

    ``upload.size``, when known from the HEAD that found this version current, spares a second
    HEAD. Raises :class:`PermanentError` when the upload cannot be turned into all of its
    outputs; S3 and network errors propagate.
    """
    variants = settings.variants
    limit = settings.max_input_bytes
    size = upload.size
    if size is None:
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
    facts = photo_facts(decoded.image, decoded.orientation)
    has_alpha = has_transparency(decoded.image)
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
    width, height = decoded.source_size
    return RenderedUpload(len(data), decoded.format, width, height, has_alpha, facts, rendered)


def _record(result: HandlerResult, outcome: Outcome) -> None:
    if isinstance(outcome, ProcessedUpload):
        result.processed.append(outcome)
    elif isinstance(outcome, RejectedUpload):
        result.rejected.append(outcome)
    elif isinstance(outcome, SkippedRecord):
        result.skipped.append(outcome)
    else:
        result.deleted.append(outcome)
