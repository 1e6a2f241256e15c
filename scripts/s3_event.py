"""The S3 ``ObjectCreated`` notification the backfill sends for an existing upload.

Shaped like S3's own (event version 2.1, see :mod:`scripts.s3_notifications`), but marked as a
backfill: ``configurationId`` and the principal say ``backfill``, so the function's logs tell
reprocessing from fresh uploads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scripts.s3_notifications import event_name_for, object_created_event

CONFIGURATION_ID = "backfill"
PRINCIPAL_ID = "backfill"


def s3_object_created_event(
    *,
    bucket: str,
    key: str,
    size: int,
    etag: str,
    region: str,
    version_id: str | None = None,
    event_time: datetime | None = None,
) -> dict[str, Any]:
    """One-record event for ``key``, built by :func:`object_created_event` (key URL-encoded,
    ETag unquoted, ``versionId`` only for a versioned object) and marked as a backfill; the
    event name says ``CompleteMultipartUpload`` for a multipart ETag."""
    when = event_time or datetime.now(UTC)
    return object_created_event(
        bucket=bucket,
        key=key,
        size=size,
        etag=etag,
        version_id=version_id,
        sequencer=f"{int(when.timestamp() * 1_000_000):018X}",
        event_time=when,
        region=region,
        event_name=event_name_for(etag),
        principal_id=PRINCIPAL_ID,
        configuration_id=CONFIGURATION_ID,
    )
