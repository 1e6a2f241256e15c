"""The S3 ``ObjectCreated`` notification the backfill sends for an existing upload.

Shaped like S3's own (event version 2.1, see :mod:`scripts.s3_notifications`), but marked as a
backfill: ``configurationId`` and the principal say ``backfill``, so the function's logs tell
reprocessing from fresh uploads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from scripts.s3_notifications import event_name_for, format_event_time

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
    """One-record event for ``key``: the key URL-encoded with ``quote_plus`` as S3 does (``/``
    kept), the ETag without quotes, ``versionId`` only for a versioned object (``None`` and
    ``"null"`` omit it), ``ObjectCreated:CompleteMultipartUpload`` for a multipart ETag."""
    when = event_time or datetime.now(UTC)
    obj: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "eTag": etag.strip('"'),
        "sequencer": f"{int(when.timestamp() * 1_000_000):018X}",
    }
    if version_id and version_id != "null":
        obj["versionId"] = version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": format_event_time(when),
                "eventName": event_name_for(etag),
                "userIdentity": {"principalId": PRINCIPAL_ID},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": CONFIGURATION_ID,
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": PRINCIPAL_ID},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": obj,
                },
            }
        ]
    }
