"""Turn an S3 event notification into the uploads it announces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class Upload:
    """One object named by an event record (key already URL-decoded)."""

    bucket: str
    key: str
    version_id: str | None
    size: int | None


@dataclass(frozen=True)
class BadRecord:
    """A record the function cannot act on, with whatever it did name."""

    bucket: str | None
    key: str | None
    version_id: str | None
    reason: str


def is_test_event(event: Any) -> bool:
    """Whether ``event`` carries no records (S3's ``s3:TestEvent`` and the like)."""
    return not isinstance(event, Mapping) or not event.get("Records")


def parse_records(event: Mapping[str, Any]) -> list[Upload | BadRecord]:
    """One :class:`Upload` or :class:`BadRecord` per record, in order.

    S3 URL-encodes keys in notifications (``+`` for a space, ``%XX`` for UTF-8 bytes), so keys are
    decoded with :func:`urllib.parse.unquote_plus`.
    """
    records = event.get("Records")
    if not isinstance(records, list):
        return [BadRecord(None, None, None, "event Records is not a list")]
    return [_parse_record(record) for record in records]


def _parse_record(record: Any) -> Upload | BadRecord:
    s3 = record.get("s3") if isinstance(record, Mapping) else None
    bucket_info = s3.get("bucket") if isinstance(s3, Mapping) else None
    object_info = s3.get("object") if isinstance(s3, Mapping) else None
    bucket = bucket_info.get("name") if isinstance(bucket_info, Mapping) else None
    raw_key = object_info.get("key") if isinstance(object_info, Mapping) else None
    if not isinstance(bucket, str) or not bucket or not isinstance(raw_key, str) or not raw_key:
        return BadRecord(
            bucket if isinstance(bucket, str) else None,
            None,
            None,
            "record does not name an S3 bucket and object key",
        )
    key = unquote_plus(raw_key)
    version_id = object_info.get("versionId") or None
    version_id = version_id if isinstance(version_id, str) else None
    event_name = record.get("eventName", "ObjectCreated:")
    if not isinstance(event_name, str) or not event_name.startswith("ObjectCreated:"):
        return BadRecord(bucket, key, version_id, f"not an ObjectCreated event: {event_name!r}")
    size = object_info.get("size")
    size = size if isinstance(size, int) and not isinstance(size, bool) else None
    return Upload(bucket, key, version_id, size)
