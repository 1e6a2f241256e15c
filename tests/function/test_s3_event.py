"""function.s3_event: records parsed and classified."""

from __future__ import annotations

import json

from function.s3_event import (
    BadRecord,
    QueueMessage,
    Removal,
    Upload,
    is_sqs_event,
    is_test_event,
    parse_records,
    parse_sqs_messages,
    sqs_event,
)

MIB = 1024 * 1024


def test_records_are_decoded_and_classified():
    event = {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": "up"},
                    "object": {"key": "a+b%2Bc/caf%C3%A9.jpg", "versionId": "v1", "size": 10},
                },
            },
            {
                "eventName": "ObjectCreated:Copy",
                "s3": {"bucket": {"name": "up"}, "object": {"key": "x"}},
            },
            {
                "eventName": "ObjectRemoved:Delete",
                "s3": {"bucket": {"name": "up"}, "object": {"key": "y", "versionId": "m1"}},
            },
            {
                "eventName": "ObjectRestore:Completed",
                "s3": {"bucket": {"name": "up"}, "object": {"key": "z"}},
            },
            "garbage",
        ]
    }
    parsed = parse_records(event)
    assert parsed[0] == Upload("up", "a b+c/café.jpg", "v1", 10)
    assert parsed[1] == Upload("up", "x", None, None)
    assert parsed[2] == Removal("up", "y", "m1")
    assert isinstance(parsed[3], BadRecord) and parsed[3].key == "z"
    assert "ObjectRestore:Completed" in parsed[3].reason
    assert isinstance(parsed[4], BadRecord) and parsed[4].bucket is None
    assert is_test_event({"Event": "s3:TestEvent"}) and is_test_event(None)
    assert not is_test_event(event)
    assert isinstance(parse_records({"Records": "nope"})[0], BadRecord)


def sqs_record(message_id: str, body: str) -> dict:
    return {"messageId": message_id, "body": body, "eventSource": "aws:sqs"}


def test_sqs_messages_are_parsed_into_uploads_test_events_and_bad_bodies():
    notification = {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": "up"}, "object": {"key": "caf%C3%A9.jpg", "size": 3}},
            }
        ]
    }
    batch = {
        "Records": [
            sqs_record("m1", json.dumps(notification)),
            sqs_record("m2", json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})),
            sqs_record("m3", "{not json"),
            sqs_record("m4", json.dumps({"Event": "something else"})),
        ]
    }
    assert is_sqs_event(batch) and not is_sqs_event(notification) and not is_sqs_event(None)
    assert not is_sqs_event({"Records": [sqs_record("m", "{}"), notification["Records"][0]]})
    first, test, not_json, no_records = parse_sqs_messages(batch)
    assert first == QueueMessage("m1", (Upload("up", "café.jpg", None, 3),))
    assert test == QueueMessage("m2", (), is_test=True)
    for message, message_id in ((not_json, "m3"), (no_records, "m4")):
        [bad] = message.uploads
        assert message.message_id == message_id and not message.is_test
        assert isinstance(bad, BadRecord) and message_id in bad.reason


def test_sqs_event_has_the_shape_lambda_sends():
    received = {
        "MessageId": "id-1",
        "ReceiptHandle": "rh",
        "Body": "{}",
        "MD5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "Attributes": {"ApproximateReceiveCount": "1"},
    }
    [record] = sqs_event([received], "arn:aws:sqs:eu-west-1:123456789012:ingest")["Records"]
    assert record == {
        "messageId": "id-1",
        "receiptHandle": "rh",
        "body": "{}",
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:ingest",
        "awsRegion": "eu-west-1",
    }
