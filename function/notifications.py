"""Notifications: one SNS message per outcome (``processed``, ``rejected``, ``deleted``).

Messages are built by pure functions; :class:`Notifier` is the only code that talks to SNS.
Delivery is at least once: a retried event publishes again with the same ``id`` (derived from the
outcome, the source key and its version), so subscribers drop duplicates by ``id``. A failed
publish raises (transient): the event is retried.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

EventName = Literal["processed", "rejected", "deleted"]
EVENT_ATTRIBUTE = "event"
ID_ATTRIBUTE = "id"


@dataclass(frozen=True)
class Notification:
    """One message: its ``event`` (also a message attribute, for filter policies), its stable id
    and its JSON body."""

    event: EventName
    id: str
    body: dict[str, Any]


def notification_id(
    event: EventName, bucket: str | None, key: str | None, version: str | None
) -> str:
    """The id of the message for ``event`` on this source version: the same on every retry."""
    text = json.dumps([event, bucket, key, version], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def processed_notification(manifest: dict[str, Any]) -> Notification:
    """The message for a source whose outputs are all written: the body carries the manifest."""
    source = manifest["source"]
    event: EventName = "processed"
    message_id = notification_id(event, source["bucket"], source["key"], source["version_id"])
    return Notification(event, message_id, {"event": event, "id": message_id, "manifest": manifest})


def rejected_notification(
    bucket: str | None, key: str | None, version_id: str | None, reason: str
) -> Notification:
    """The message for a source no retry can process, with the reason."""
    event: EventName = "rejected"
    message_id = notification_id(event, bucket, key, version_id)
    body = {
        "event": event,
        "id": message_id,
        "source": {"bucket": bucket, "key": key, "version_id": version_id},
        "reason": reason,
    }
    return Notification(event, message_id, body)


def deleted_notification(
    bucket: str, key: str, version_id: str | None, removed: list[str]
) -> Notification:
    """The message for a deleted source: ``removed`` lists the output keys that no longer hold
    its outputs (the same list on a retry, whether this attempt or an earlier one removed them).
    ``version_id`` is the one the removal event named (a delete marker's, for example)."""
    event: EventName = "deleted"
    message_id = notification_id(event, bucket, key, version_id)
    body = {
        "event": event,
        "id": message_id,
        "source": {"bucket": bucket, "key": key, "version_id": version_id},
        "removed": sorted(removed),
    }
    return Notification(event, message_id, body)


def publish_request(topic_arn: str, notification: Notification) -> dict[str, Any]:
    """The SNS ``Publish`` parameters for ``notification``."""
    return {
        "TopicArn": topic_arn,
        "Message": json.dumps(notification.body, ensure_ascii=False),
        "MessageAttributes": {
            EVENT_ATTRIBUTE: {"DataType": "String", "StringValue": notification.event},
            ID_ATTRIBUTE: {"DataType": "String", "StringValue": notification.id},
        },
    }


class Notifier:
    """Publishes notifications to one SNS topic through an injected boto3 SNS client."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self.topic_arn = topic_arn

    def publish(self, notification: Notification) -> None:
        """Publish one message; any SNS or network error propagates (the event is retried)."""
        self._client.publish(**publish_request(self.topic_arn, notification))
