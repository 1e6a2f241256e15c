"""function.notifications: bodies, ids and attributes, published to moto SNS and read from an
SQS subscription."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from function.notifications import (
    Notifier,
    deleted_notification,
    processed_notification,
    rejected_notification,
)
from tests.function.function_helpers import received, topic_with_queue

MANIFEST = {"schema": 1, "source": {"bucket": "up", "key": "a.jpg", "version_id": "v1"}}


def test_each_outcome_arrives_with_its_event_attribute_and_a_stable_id(moto_aws):
    topic_arn, queue_url = topic_with_queue()
    notifier = Notifier(boto3.client("sns"), topic_arn)

    notifier.publish(processed_notification(MANIFEST))
    notifier.publish(rejected_notification("up", "b.jpg", "v9", "not an image"))
    notifier.publish(deleted_notification("up", "a.jpg", "m1", ["a_x.jpg", "a_manifest.json"]))
    notifier.publish(processed_notification(MANIFEST))  # a retry

    messages = received(queue_url)
    assert [m["event"] for m in messages] == ["processed", "rejected", "deleted", "processed"]
    assert all(m["_attribute_event"] == m["event"] for m in messages)
    assert messages[0]["manifest"] == MANIFEST
    assert messages[1]["source"] == {"bucket": "up", "key": "b.jpg", "version_id": "v9"}
    assert messages[1]["reason"] == "not an image"
    assert messages[2]["removed"] == ["a_manifest.json", "a_x.jpg"]
    assert messages[0]["id"] == messages[3]["id"]
    assert len({m["id"] for m in messages}) == 3


def test_ids_differ_by_outcome_key_and_version():
    ids = {
        rejected_notification("up", "a.jpg", "v1", "x").id,
        rejected_notification("up", "a.jpg", "v2", "x").id,
        rejected_notification("up", "b.jpg", "v1", "x").id,
        deleted_notification("up", "a.jpg", "v1", []).id,
        processed_notification(MANIFEST).id,
    }
    assert len(ids) == 5
    assert rejected_notification("up", "a.jpg", "v1", "x").id == (
        rejected_notification("up", "a.jpg", "v1", "another reason").id
    )


def test_a_filter_policy_on_the_event_attribute_selects_outcomes(moto_aws):
    topic_arn, all_url = topic_with_queue()
    _, deleted_url = topic_with_queue({"event": ["deleted"]})
    notifier = Notifier(boto3.client("sns"), topic_arn)

    notifier.publish(processed_notification(MANIFEST))
    notifier.publish(deleted_notification("up", "a.jpg", None, []))

    assert [m["event"] for m in received(deleted_url)] == ["deleted"]
    assert len(received(all_url)) == 2


def test_a_failed_publish_raises(moto_aws):
    notifier = Notifier(boto3.client("sns"), "arn:aws:sns:us-east-1:123456789012:no-such-topic")
    with pytest.raises(ClientError):
        notifier.publish(processed_notification(MANIFEST))
