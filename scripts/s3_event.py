"""Build the S3 ``ObjectCreated`` notification event the function receives for an upload."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

EVENT_NAME = "ObjectCreated:Put"
CONFIGURATION_ID = "backfill"


def s3_object_created_event(
    *,
    bucket: str,
    key: str,
    size: int,
    etag: str,
    region: str,
    version_id: str | None = None,
    event_time: datetime | None = None,
    principal_id: str = "backfill",
) -> dict[str, Any]:
    """One-record event shaped like S3's own notification (event version 2.1).

    As in S3's notifications the key is URL-encoded with ``quote_plus`` and the ETag carries no
    quotes; ``versionId`` is present only for a versioned object (``None`` or ``"null"`` omit it).
    """
    when = (event_time or datetime.now(UTC)).astimezone(UTC)
    obj: dict[str, Any] = {
        "key": quote_plus(key, safe=""),
        "size": size,
        "eTag": etag.strip('"'),
        "sequencer": f"{int(when.timestamp() * 1_000_000):016X}",
    }
    if version_id and version_id != "null":
        obj["versionId"] = version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{when.microsecond // 1000:03d}Z",
                "eventName": EVENT_NAME,
                "userIdentity": {"principalId": principal_id},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": CONFIGURATION_ID,
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": principal_id},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": obj,
                },
            }
        ]
    }
