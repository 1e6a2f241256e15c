"""The output contract for one record: make the processed bucket match the upload key's current
state, then say so.

For a creation event the current version's variants are written (tagged), then its manifest,
last, as the completion marker, then a ``processed`` notification. A removal event removes the
outputs the key made. What to do is decided by :mod:`function.convergence` from the key's state
now, so events delivered late, twice or out of order converge (see docs/output-contract.md).

An attempt that fails while writing removes what it wrote (when it can) and raises: no manifest
is ever present beside an incomplete set, and the retry writes the whole set.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from function.convergence import (
    CurrentObject,
    Decision,
    ManifestRef,
    decide_created,
    decide_removed,
    still_current,
)
from function.errors import PermanentError
from function.manifest import (
    MANIFEST_CONTENT_TYPE,
    MANIFEST_TAG,
    SourceFacts,
    build_manifest,
    decode_manifest,
    encode_manifest,
    manifest_key,
    variant_entry,
)
from function.notifications import (
    Notification,
    Notifier,
    deleted_notification,
    processed_notification,
    rejected_notification,
)
from function.photo_facts import PhotoFacts
from function.rendering import RenderedVariant
from function.result import (
    DeletedUpload,
    OutputSummary,
    ProcessedUpload,
    RejectedUpload,
    SkippedRecord,
    SourceSummary,
)
from function.s3_event import Removal, Upload
from function.settings import Settings
from function.storage import Storage, metadata_source, names_source, source_metadata

logger = logging.getLogger("image_pipeline")

MAX_KEY_BYTES = 1024
MAX_MANIFEST_BYTES = 1024 * 1024
# Rounds of "write, find the key changed, act on its new state" before the event is retried.
MAX_ROUNDS = 3
CHANGED_REASON = "the source changed while it was processed: its current version's event applies"

Outcome = ProcessedUpload | RejectedUpload | SkippedRecord | DeletedUpload


@dataclass(frozen=True)
class RenderedUpload:
    """One source version read, decoded and rendered: what the manifest says about it."""

    bytes: int
    format: str
    width: int
    height: int
    has_alpha: bool
    facts: PhotoFacts
    variants: list[RenderedVariant]


@dataclass(frozen=True)
class KeyState:
    """An event's key as found now: its current version (``None``: gone) and its manifest."""

    bucket: str
    key: str
    event_version: str | None
    current: CurrentObject | None
    stored: dict[str, Any] | None


# Reads, decodes and renders the version the upload names; raises PermanentError for a bad one.
Renderer = Callable[[Upload], RenderedUpload]


@dataclass(frozen=True)
class Contract:
    """What the contract acts through: settings, S3, and SNS when notifications are on."""

    settings: Settings
    storage: Storage
    notifier: Notifier | None = None

    def notify(self, notification: Notification) -> None:
        """Publish ``notification`` when notifications are on (a failure raises)."""
        if self.notifier is not None:
            self.notifier.publish(notification)


def output_keys(settings: Settings, key: str) -> list[str]:
    """Every key the contract may write for the upload ``key``: its variants, then its
    manifest."""
    return [spec.output_key(key) for spec in settings.variants] + [manifest_key(key)]


def reject(
    contract: Contract, bucket: str | None, key: str | None, version_id: str | None, reason: str
) -> RejectedUpload:
    """Record, log and announce a rejection."""
    entry = RejectedUpload(bucket, key, version_id, reason)
    logger.error("rejected s3://%s/%s: %s", bucket, key, reason, extra=asdict(entry))
    contract.notify(rejected_notification(bucket, key, version_id, reason))
    return entry


def handle_upload(upload: Upload, contract: Contract, render: Renderer) -> Outcome:
    """Act on an ``ObjectCreated`` record; S3 and SNS errors propagate (transient)."""
    try:
        _check_source(upload.bucket, upload.key, contract.settings)
    except PermanentError as exc:
        return reject(contract, upload.bucket, upload.key, upload.version_id, str(exc))
    state = _state(contract, upload.bucket, upload.key, upload.version_id)
    decision = decide_created(upload.key, upload.version_id, state.current, _ref(state.stored))
    return _carry_out(decision, state, contract, render)


def handle_removal(removal: Removal, contract: Contract, render: Renderer) -> Outcome:
    """Act on an ``ObjectRemoved`` record; S3 and SNS errors propagate (transient)."""
    try:
        _check_source(removal.bucket, removal.key, contract.settings)
    except PermanentError as exc:
        return reject(contract, removal.bucket, removal.key, removal.version_id, str(exc))
    state = _state(contract, removal.bucket, removal.key, removal.version_id)
    decision = decide_removed(
        removal.key, state.current, _ref(state.stored), contract.settings.delete_outputs
    )
    if decision.action == "remove":
        removed = remove_outputs(contract, removal.bucket, removal.key)
        contract.notify(
            deleted_notification(removal.bucket, removal.key, removal.version_id, removed)
        )
        logger.info("deleted outputs of s3://%s/%s: %s", removal.bucket, removal.key, removed)
        return DeletedUpload(removal.bucket, removal.key, removal.version_id, tuple(removed))
    return _carry_out(decision, state, contract, render)


def remove_outputs(contract: Contract, bucket: str, key: str) -> list[str]:
    """Delete every output (and the manifest) that names ``bucket``/``key`` as its source;
    returns the keys that now hold none of its outputs (those removed and those already absent,
    so a retry returns the same list). Outputs another source owns are left alone."""
    storage, processed = contract.storage, contract.settings.processed_bucket
    cleared = []
    for output_key in reversed(output_keys(contract.settings, key)):  # the manifest first
        metadata = storage.output_metadata(processed, output_key)
        if metadata is None:
            cleared.append(output_key)
        elif names_source(metadata, bucket, key):
            storage.delete(processed, output_key)
            cleared.append(output_key)
    return sorted(cleared)


def _carry_out(
    decision: Decision, state: KeyState, contract: Contract, render: Renderer
) -> Outcome:
    bucket, key = state.bucket, state.key
    if decision.action == "reject":
        return reject(contract, bucket, key, state.event_version, decision.reason)
    if decision.action == "skip":
        logger.info("skipped s3://%s/%s: %s", bucket, key, decision.reason)
        return SkippedRecord(bucket, key, state.event_version, decision.reason)
    if decision.action == "republish" and state.stored is not None:
        contract.notify(processed_notification(state.stored))
        logger.info("outputs of s3://%s/%s already complete", bucket, key)
        return processed_from_manifest(state.stored)
    if state.current is None:  # only "process" is left, and it is decided on an existing key
        raise RuntimeError(f"cannot process s3://{bucket}/{key}: no current version")
    return _process(state, state.current, contract, render)


def _process(
    state: KeyState, current: CurrentObject, contract: Contract, render: Renderer
) -> Outcome:
    """Write the outputs of ``current``; if the key changes meanwhile, act on what it became
    (remove its outputs if gone, else write its new current version: the outputs just written
    may have overwritten those of a newer version handled concurrently)."""
    for _ in range(MAX_ROUNDS):
        outcome = _write(state, current, contract, render)
        if outcome is not None:
            return outcome
        logger.info("s3://%s/%s changed while it was processed", state.bucket, state.key)
        state = _state(contract, state.bucket, state.key, None)
        if state.current is None:
            remove_outputs(contract, state.bucket, state.key)
            return SkippedRecord(state.bucket, state.key, current.version_id, CHANGED_REASON)
        current = state.current
    raise RuntimeError(
        f"s3://{state.bucket}/{state.key} kept changing while it was processed: retrying"
    )


def _write(
    state: KeyState, current: CurrentObject, contract: Contract, render: Renderer
) -> Outcome | None:
    """Write every variant, then the manifest, of ``current``; ``None`` when the key stopped
    being at that version meanwhile (checked before and after the manifest is written)."""
    bucket, key, stored = state.bucket, state.key, state.stored
    started = time.perf_counter()
    settings, storage = contract.settings, contract.storage
    version = current.version_id
    collision = _collision(contract, bucket, key, current)
    if collision is not None:
        return collision
    try:
        rendered = render(Upload(bucket, key, version, current.size))
    except PermanentError as exc:
        # The current version is bad: the outputs of an earlier version must not stay behind.
        remove_outputs(contract, bucket, key)
        return reject(contract, bucket, key, version, str(exc))
    etag = current.etag.strip('"') if current.etag else None
    metadata = source_metadata(bucket, key, version)
    written: list[str] = []
    entries = []
    try:
        if stored is not None:  # never beside a set it does not describe
            storage.delete(settings.processed_bucket, manifest_key(key))
        for spec, output in zip(settings.variants, rendered.variants, strict=True):
            output_key = spec.output_key(key)
            tags = {"variant": spec.name, "source-format": rendered.format}
            storage.put(
                settings.processed_bucket,
                output_key,
                output.data,
                spec.content_type,
                metadata,
                tags=tags,
            )
            written.append(output_key)
            entries.append(
                variant_entry(spec, output_key, output.data, output.width, output.height)
            )
    except Exception:
        _remove_quietly(contract, bucket, key, version, written)
        raise
    if not still_current(version, etag, storage.current_object(bucket, key)):
        return None
    source = SourceFacts(
        bucket=bucket,
        key=key,
        version_id=version,
        etag=etag,
        bytes=rendered.bytes,
        format=rendered.format,
        width=rendered.width,
        height=rendered.height,
        has_alpha=rendered.has_alpha,
    )
    manifest = build_manifest(
        source,
        rendered.facts,
        entries,
        processed_at=datetime.now(UTC),
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    the_manifest_key = manifest_key(key)
    try:
        storage.put(
            settings.processed_bucket,
            the_manifest_key,
            encode_manifest(manifest),
            MANIFEST_CONTENT_TYPE,
            metadata,
            tags={"variant": MANIFEST_TAG, "source-format": rendered.format},
        )
    except Exception:
        _remove_quietly(contract, bucket, key, version, written)
        raise
    if not still_current(version, etag, storage.current_object(bucket, key)):
        return None
    contract.notify(processed_notification(manifest))
    entry = processed_from_manifest(manifest)
    logger.info("processed s3://%s/%s", bucket, key, extra=asdict(entry))
    return entry


def _collision(contract: Contract, bucket: str, key: str, current: CurrentObject) -> Outcome | None:
    """``None`` when ``key`` may write its outputs; otherwise the outcome of the name collision:
    another existing source owns them (``reject``), or owns them with a later upload
    (``replace``: the latest upload wins). Outputs of a source that no longer exists are taken
    over: its removal event leaves outputs it no longer owns alone."""
    settings, storage = contract.settings, contract.storage
    for output_key in output_keys(settings, key):
        metadata = storage.output_metadata(settings.processed_bucket, output_key)
        if metadata is None or names_source(metadata, bucket, key):
            continue
        owner = metadata_source(metadata)
        owner_state = (
            storage.current_object(*owner) if owner is not None and owner[0] == bucket else None
        )
        if owner is not None and owner[0] == bucket and owner_state is None:
            continue  # the owner is gone: its outputs are stale
        owner_name = owner[1] if owner is not None else "another upload (key given as a hash)"
        if settings.name_collision == "replace":
            if _later(owner_state, current):
                reason = f"name collision: {output_key} belongs to the later upload {owner_name}"
                return SkippedRecord(bucket, key, current.version_id, reason)
            continue
        reason = (
            f"name collision: output {output_key} belongs to {owner_name}; rename the upload "
            "or set nameCollision to replace"
        )
        return reject(contract, bucket, key, current.version_id, reason)
    return None


def _later(owner: CurrentObject | None, current: CurrentObject) -> bool:
    if owner is None or owner.last_modified is None or current.last_modified is None:
        return False
    return owner.last_modified > current.last_modified


def processed_from_manifest(manifest: dict[str, Any]) -> ProcessedUpload:
    """The handler's result entry for a complete set, read from its manifest."""
    source = manifest["source"]
    return ProcessedUpload(
        bucket=source["bucket"],
        key=source["key"],
        version_id=source["version_id"],
        source=SourceSummary(source["bytes"], source["width"], source["height"], source["format"]),
        outputs=tuple(
            OutputSummary(
                v["key"], v["bytes"], v["width"], v["height"], v["format"], v["content_type"]
            )
            for v in manifest["variants"]
        ),
        duration_ms=manifest["duration_ms"],
        manifest_key=manifest_key(source["key"]),
    )


def _check_source(bucket: str, key: str, settings: Settings) -> None:
    if bucket == settings.processed_bucket:
        raise PermanentError("record is from the processed bucket: refusing to process outputs")
    longest = max(len(output.encode()) for output in output_keys(settings, key))
    if longest > MAX_KEY_BYTES:
        raise PermanentError(f"output key would be {longest} bytes, S3 allows {MAX_KEY_BYTES}")


def _state(contract: Contract, bucket: str, key: str, event_version: str | None) -> KeyState:
    current = contract.storage.current_object(bucket, key)
    data = contract.storage.read_small(
        contract.settings.processed_bucket, manifest_key(key), MAX_MANIFEST_BYTES
    )
    stored = decode_manifest(data) if data is not None else None
    return KeyState(bucket, key, event_version, current, stored)


def _ref(manifest: dict[str, Any] | None) -> ManifestRef | None:
    if manifest is None:
        return None
    source = manifest["source"]
    return ManifestRef(source.get("key"), source.get("version_id"), source.get("etag"))


def _remove_quietly(
    contract: Contract, bucket: str, key: str, version: str | None, keys: list[str]
) -> None:
    """Best-effort removal of what a failing attempt wrote: each key still holding an output of
    this source version (one rewritten since by another attempt is left alone)."""
    storage, processed = contract.storage, contract.settings.processed_bucket
    for output_key in keys:
        try:
            metadata = storage.output_metadata(processed, output_key)
            mine = source_metadata(bucket, key, version)
            if metadata is not None and all(metadata.get(k) == v for k, v in mine.items()):
                storage.delete(processed, output_key)
        except Exception:
            logger.exception("could not remove %s after a failed attempt", output_key)
