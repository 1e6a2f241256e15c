"""S3 event notification payloads, built exactly as S3 sends them to Lambda (pure functions).

Reference: the "Event message structure" page of the Amazon S3 user guide (eventVersion 2.1).
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

EVENT_VERSION = "2.1"
LOCAL_PRINCIPAL = "AWS:LOCALDEMO"
LOCAL_CONFIGURATION_ID = "image-pipeline-uploads"


def object_created_event(
    *,
    bucket: str,
    key: str,
    size: int,
    etag: str,
    version_id: str | None,
    sequencer: str,
    event_time: datetime,
    region: str,
    event_name: str = "ObjectCreated:Put",
    request_id: str = "LOCAL0000000000",
    principal_id: str = LOCAL_PRINCIPAL,
    configuration_id: str = LOCAL_CONFIGURATION_ID,
) -> dict[str, Any]:
    """One ``ObjectCreated`` notification with a single record, as S3 delivers it.

    The key is URL-encoded with ``quote_plus`` (S3 encodes spaces as ``+``); the ETag is given
    without its quotes; ``versionId`` is present only for versioned objects, as in S3.
    ``principal_id`` and ``configuration_id`` say who sent it (the local demo, a backfill).
    """
    s3_object: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "eTag": etag.strip('"'),
    }
    if version_id is not None and version_id != "null":
        s3_object["versionId"] = version_id
    s3_object["sequencer"] = sequencer
    return {
        "Records": [
            {
                "eventVersion": EVENT_VERSION,
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": format_event_time(event_time),
                "eventName": event_name,
                "userIdentity": {"principalId": principal_id},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": request_id,
                    "x-amz-id-2": f"local/{request_id}",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": configuration_id,
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": principal_id},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": s3_object,
                },
            }
        ]
    }


def event_name_for(etag: str) -> str:
    """``ObjectCreated:CompleteMultipartUpload`` for a multipart ETag (``"<md5>-<parts>"``),
    ``ObjectCreated:Put`` otherwise."""
    return (
        "ObjectCreated:CompleteMultipartUpload" if "-" in etag.strip('"') else "ObjectCreated:Put"
    )


def format_event_time(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``, as in S3 events."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class Sequencer:
    """Monotonically increasing hexadecimal sequencers (S3 uses them to order events per key)."""

    def __init__(self, start: int | None = None) -> None:
        first = time.time_ns() if start is None else start
        self._counter = itertools.count(first)
        self._lock = threading.Lock()

    def next(self) -> str:
        """The next sequencer: 18 upper-case hex digits, each greater than the previous."""
        with self._lock:
            return f"{next(self._counter):018X}"
