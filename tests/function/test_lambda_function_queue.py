"""Queue mode on moto: S3 notifications sent to a real SQS queue, received as a batch, handed to
the real handler as Lambda's event source mapping does; only transient failures are reported."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from function.s3_event import sqs_event
from tests.function.function_helpers import (
    PROCESSED,
    UPLOADS,
    encode,
    event,
    photo,
    processed_keys,
    read_output,
    upload,
)

TEST_EVENT = {
    "Service": "Amazon S3",
    "Event": "s3:TestEvent",
    "Time": "2024-01-01T00:00:00.000Z",
    "Bucket": UPLOADS,
    "RequestId": "R",
    "HostId": "H",
}


@pytest.fixture
def queue(s3: Any) -> tuple[Any, str, str]:
    """A moto SQS queue: its client, URL and ARN."""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="ingest")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return sqs, url, arn


def receive_batch(queue: tuple[Any, str, str], bodies: list[Any]) -> dict[str, Any]:
    """Send each body (JSON unless a string) and receive them back as one Lambda SQS event."""
    sqs, url, arn = queue
    for body in bodies:
        sqs.send_message(
            QueueUrl=url, MessageBody=body if isinstance(body, str) else json.dumps(body)
        )
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])[
        "Messages"
    ]
    assert len(messages) == len(bodies)
    return sqs_event(messages, arn)


def message_ids(batch: dict[str, Any], text: str) -> set[str]:
    """The ids of the messages whose body contains ``text``."""
    return {r["messageId"] for r in batch["Records"] if text in r["body"]}


def fail_gets_of(key: str):
    """A botocore hook answering every GetObject of ``key`` with a 503 SlowDown."""

    def respond(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not params["url_path"].endswith(f"/{key}"):
            return None
        body = {
            "Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."},
            "ResponseMetadata": {"HTTPStatusCode": 503},
        }
        return AWSResponse("https://s3.amazonaws.com", 503, {}, None), body

    return respond


def test_mixed_batch_reports_exactly_the_transient_messages(s3, queue, load_handler):
    upload(s3, "good.jpg", encode(photo((120, 80)), "JPEG"))
    upload(s3, "corrupt.jpg", b"this is not an image")
    upload(s3, "flaky.jpg", encode(photo((90, 60)), "JPEG"))
    upload(s3, "also good.png", encode(photo((64, 64)), "PNG"))
    boto3.DEFAULT_SESSION.events.register("before-call.s3.GetObject", fail_gets_of("flaky.jpg"))
    handler = load_handler()
    bodies = [
        event("good.jpg"),
        event("corrupt.jpg"),
        event("missing.jpg"),
        event("flaky.jpg"),
        TEST_EVENT,
        "not json at all",
        event("also good.png"),
    ]
    batch = receive_batch(queue, bodies)
    flaky = message_ids(batch, "flaky.jpg")

    result = handler.lambda_handler(batch, None)

    assert [item["itemIdentifier"] for item in result["batchItemFailures"]] == sorted(flaky)
    assert [entry["key"] for entry in result["processed"]] == ["good.jpg", "also good.png"]
    reasons = {entry["key"]: entry["reason"] for entry in result["rejected"]}
    assert set(reasons) == {"corrupt.jpg", "missing.jpg", None}
    assert "not found" in reasons["missing.jpg"]
    assert "does not hold an S3 event notification" in reasons[None]
    written = processed_keys(s3)
    assert written and all(key.startswith(("good_", "also good_")) for key in written)


def test_retried_message_succeeds_once_the_fault_clears(s3, queue, load_handler):
    upload(s3, "flaky.jpg", encode(photo((90, 60)), "JPEG"))
    hook = fail_gets_of("flaky.jpg")
    boto3.DEFAULT_SESSION.events.register("before-call.s3.GetObject", hook, unique_id="flaky")
    handler = load_handler()
    batch = receive_batch(queue, [event("flaky.jpg")])

    first = handler.lambda_handler(batch, None)
    handler.STORAGE.client.meta.events.unregister("before-call.s3.GetObject", unique_id="flaky")
    second = handler.lambda_handler(batch, None)

    assert len(first["batchItemFailures"]) == 1 and first["processed"] == []
    assert second["batchItemFailures"] == [] and len(second["processed"]) == 1
    assert len(processed_keys(s3)) == len(second["processed"][0]["outputs"]) + 1  # + manifest


def test_test_event_alone_is_acknowledged(s3, queue, handler):
    batch = receive_batch(queue, [TEST_EVENT])

    assert handler.lambda_handler(batch, None) == {
        "processed": [],
        "rejected": [],
        "skipped": [],
        "deleted": [],
        "batchItemFailures": [],
    }


def test_variants_carry_the_configured_cache_control(s3, load_handler):
    upload(s3, "c.jpg", encode(photo((80, 60)), "JPEG"))
    handler = load_handler(CACHE_CONTROL="public, max-age=600, stale-while-revalidate=60")

    [entry] = handler.lambda_handler(event("c.jpg"), None)["processed"]

    for output in entry["outputs"]:
        _, head = read_output(s3, output["key"])
        assert head["CacheControl"] == "public, max-age=600, stale-while-revalidate=60"
    assert s3.list_objects_v2(Bucket=PROCESSED)["KeyCount"] == len(entry["outputs"]) + 1
    manifest_head = s3.head_object(Bucket=PROCESSED, Key=entry["manifest_key"])
    assert manifest_head["CacheControl"] == "public, max-age=600, stale-while-revalidate=60"
