"""The S3 event notification: its shape, parsed into the uploads and removals it announces and
built as S3 sends it (event version 2.1, see "Event message structure" in the Amazon S3 user
guide).

In queue mode S3 sends the notification to SQS and Lambda receives a batch of SQS messages, each
with one notification as its body (:func:`parse_sqs_messages`, :func:`sqs_event`).

The one definition of the event for the function, the local pipeline, the backfill, the bench and
the tests.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, unquote_plus

EVENT_VERSION = "2.1"
LOCAL_PRINCIPAL = "AWS:LOCALDEMO"
LOCAL_CONFIGURATION_ID = "image-pipeline-uploads"


@dataclass(frozen=True)
class Upload:
    """One object named by an event record (key already URL-decoded)."""

    bucket: str
    key: str
    version_id: str | None
    size: int | None


@dataclass(frozen=True)
class Removal:
    """One object an ``ObjectRemoved`` record names (key already URL-decoded); ``version_id`` is
    the delete marker's (or the deleted version's) id when the bucket is versioned."""

    bucket: str
    key: str
    version_id: str | None


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


def parse_records(event: Mapping[str, Any]) -> list[Upload | Removal | BadRecord]:
    """One :class:`Upload`, :class:`Removal` or :class:`BadRecord` per record, in order.

    S3 URL-encodes keys in notifications (``+`` for a space, ``%XX`` for UTF-8 bytes), so keys are
    decoded with :func:`urllib.parse.unquote_plus`.
    """
    records = event.get("Records")
    if not isinstance(records, list):
        return [BadRecord(None, None, None, "event Records is not a list")]
    return [_parse_record(record) for record in records]


def _parse_record(record: Any) -> Upload | Removal | BadRecord:
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
    if isinstance(event_name, str) and event_name.startswith("ObjectRemoved:"):
        return Removal(bucket, key, version_id)
    if not isinstance(event_name, str) or not event_name.startswith("ObjectCreated:"):
        return BadRecord(
            bucket, key, version_id, f"not an ObjectCreated or ObjectRemoved event: {event_name!r}"
        )
    size = object_info.get("size")
    size = size if isinstance(size, int) and not isinstance(size, bool) else None
    return Upload(bucket, key, version_id, size)


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
    s3_object = _s3_object(key, version_id, sequencer, size=size, eTag=etag.strip('"'))
    return _event(
        bucket,
        s3_object,
        event_time=event_time,
        region=region,
        event_name=event_name,
        request_id=request_id,
        principal_id=principal_id,
        configuration_id=configuration_id,
    )


def object_removed_event(
    *,
    bucket: str,
    key: str,
    version_id: str | None,
    sequencer: str,
    event_time: datetime,
    region: str,
    event_name: str = "ObjectRemoved:DeleteMarkerCreated",
    request_id: str = "LOCAL0000000000",
    principal_id: str = LOCAL_PRINCIPAL,
    configuration_id: str = LOCAL_CONFIGURATION_ID,
) -> dict[str, Any]:
    """One ``ObjectRemoved`` notification with a single record, as S3 delivers it: no size or
    ETag; ``versionId`` is the delete marker's (``DeleteMarkerCreated``) or the deleted
    version's (``Delete`` of a version), present only for versioned objects."""
    s3_object = _s3_object(key, version_id, sequencer)
    return _event(
        bucket,
        s3_object,
        event_time=event_time,
        region=region,
        event_name=event_name,
        request_id=request_id,
        principal_id=principal_id,
        configuration_id=configuration_id,
    )


def _s3_object(key: str, version_id: str | None, sequencer: str, **fields: Any) -> dict[str, Any]:
    """A record's ``s3.object``: the key URL-encoded as S3 encodes it (``+`` for a space),
    ``fields`` (size, ETag), ``versionId`` only for a versioned object, then the sequencer."""
    s3_object: dict[str, Any] = {"key": quote_plus(key, safe="/"), **fields}
    if version_id is not None and version_id != "null":
        s3_object["versionId"] = version_id
    s3_object["sequencer"] = sequencer
    return s3_object


def _event(
    bucket: str,
    s3_object: dict[str, Any],
    *,
    event_time: datetime,
    region: str,
    event_name: str,
    request_id: str,
    principal_id: str,
    configuration_id: str,
) -> dict[str, Any]:
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


SQS_EVENT_SOURCE = "aws:sqs"
S3_TEST_EVENT = "s3:TestEvent"


@dataclass(frozen=True)
class QueueMessage:
    """One SQS message of a queue-mode batch: its id (what ``batchItemFailures`` names) and the
    uploads (and removals) its S3 notification announces; none for S3's test event."""

    message_id: str
    uploads: tuple[Upload | Removal | BadRecord, ...]
    is_test: bool = False


def is_sqs_event(event: Any) -> bool:
    """Whether ``event`` is a batch of SQS messages (an event source mapping's invocation)."""
    if not isinstance(event, Mapping):
        return False
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and all(
            isinstance(record, Mapping) and record.get("eventSource") == SQS_EVENT_SOURCE
            for record in records
        )
    )


def parse_sqs_messages(event: Mapping[str, Any]) -> list[QueueMessage]:
    """One :class:`QueueMessage` per SQS record, in order: the S3 notification in its body parsed
    with :func:`parse_records`; a body that is no S3 notification (not JSON, no ``Records``)
    becomes a single :class:`BadRecord`, and S3's ``s3:TestEvent`` a message with no uploads."""
    return [_parse_message(record) for record in event["Records"]]


def _parse_message(record: Mapping[str, Any]) -> QueueMessage:
    message_id = record.get("messageId")
    message_id = message_id if isinstance(message_id, str) else ""
    try:
        body = json.loads(record.get("body") or "")
    except (TypeError, ValueError):
        body = None
    if isinstance(body, Mapping) and body.get("Event") == S3_TEST_EVENT:
        return QueueMessage(message_id, (), is_test=True)
    if not isinstance(body, Mapping) or not isinstance(body.get("Records"), list):
        reason = f"SQS message {message_id or '(no id)'} does not hold an S3 event notification"
        return QueueMessage(message_id, (BadRecord(None, None, None, reason),))
    return QueueMessage(message_id, tuple(parse_records(body)))


def sqs_event(messages: list[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping sends for ``messages`` as ``ReceiveMessage``
    returns them (``MessageId``, ``ReceiptHandle``, ``Body``, ``MD5OfBody``, ``Attributes``)."""
    region = queue_arn.split(":")[3]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": SQS_EVENT_SOURCE,
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }
