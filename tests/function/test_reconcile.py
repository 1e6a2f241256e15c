"""The output contract end to end: the real handler on moto S3, SNS and an SQS subscription."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from function.s3_event import Sequencer, object_removed_event
from tests.function.function_helpers import (
    DEFAULT_SUFFIXES,
    PROCESSED,
    UPLOADS,
    encode,
    exif_photo,
    photo,
    processed_keys,
    received,
    record,
    topic_with_queue,
    upload,
)


def outputs_of(stem: str) -> list[str]:
    variants = [f"{stem}_{suffix}.{extension}" for suffix, extension in DEFAULT_SUFFIXES]
    return sorted([*variants, f"{stem}_manifest.json"])


def created(key: str, version_id: str | None) -> dict[str, Any]:
    return {"Records": [record(key, version_id=version_id)]}


def removed(key: str, version_id: str | None = None) -> dict[str, Any]:
    return object_removed_event(
        bucket=UPLOADS,
        key=key,
        version_id=version_id,
        sequencer=Sequencer().next(),
        event_time=datetime.now(UTC),
        region="us-east-1",
    )


def manifest_of(s3: Any, stem: str) -> dict[str, Any]:
    return json.loads(s3.get_object(Bucket=PROCESSED, Key=f"{stem}_manifest.json")["Body"].read())


def tags_of(s3: Any, key: str) -> dict[str, str]:
    tag_set = s3.get_object_tagging(Bucket=PROCESSED, Key=key)["TagSet"]
    return {tag["Key"]: tag["Value"] for tag in tag_set}


@pytest.fixture
def versioned(s3):
    s3.put_bucket_versioning(Bucket=UPLOADS, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_versioning(Bucket=PROCESSED, VersioningConfiguration={"Status": "Enabled"})
    return s3


@pytest.fixture
def queue(versioned):
    return topic_with_queue()


@pytest.fixture
def contract_handler(load_handler, queue):
    topic_arn, _ = queue
    return load_handler(NOTIFICATION_TOPIC_ARN=topic_arn)


def test_manifest_describes_every_stored_byte_and_is_announced(versioned, queue, contract_handler):
    s3 = versioned
    version = upload(s3, "trip/beach.jpg", exif_photo((40, 20), orientation=6))

    result = contract_handler.lambda_handler(created("trip/beach.jpg", version), None)

    [entry] = result["processed"]
    assert entry["manifest_key"] == "trip/beach_manifest.json"
    assert processed_keys(s3) == outputs_of("trip/beach")
    manifest = manifest_of(s3, "trip/beach")
    head = s3.head_object(Bucket=UPLOADS, Key="trip/beach.jpg")
    assert manifest["schema"] == 1
    assert manifest["source"] == {
        "bucket": UPLOADS,
        "key": "trip/beach.jpg",
        "version_id": version,
        "etag": head["ETag"].strip('"'),
        "bytes": head["ContentLength"],
        "format": "JPEG",
        "width": 20,
        "height": 40,
        "has_alpha": False,
    }
    assert manifest["metadata"]["taken_at"] == "2024-06-01T14:30:05+02:00"
    assert manifest["metadata"]["camera"]["model"] == "EOS R5"
    assert manifest["metadata"]["orientation"] == 6
    assert manifest["metadata"]["gps_present"] is True
    assert [v["name"] for v in manifest["variants"]] == [
        "compressed.jpg", "low_quality.jpg", "converted.webp", "converted.png", "thumbnail.jpg",
    ]  # fmt: skip
    for variant in manifest["variants"]:
        stored = s3.get_object(Bucket=PROCESSED, Key=variant["key"])
        body = stored["Body"].read()
        assert hashlib.sha256(body).hexdigest() == variant["sha256"]
        assert len(body) == variant["bytes"]
        assert stored["ContentType"] == variant["content_type"]
        assert tags_of(s3, variant["key"]) == {
            "variant": variant["name"],
            "source-format": "JPEG",
        }
    manifest_object = s3.get_object(Bucket=PROCESSED, Key="trip/beach_manifest.json")
    assert manifest_object["ContentType"] == "application/json"
    assert tags_of(s3, "trip/beach_manifest.json") == {
        "variant": "manifest",
        "source-format": "JPEG",
    }
    [message] = received(queue[1])
    assert message["event"] == message["_attribute_event"] == "processed"
    assert message["manifest"] == manifest


def test_a_duplicate_event_writes_nothing_and_announces_the_same_id(
    versioned, queue, contract_handler
):
    s3 = versioned
    version = upload(s3, "a.jpg", encode(photo((60, 40)), "JPEG"))
    contract_handler.lambda_handler(created("a.jpg", version), None)
    versions_before = s3.list_object_versions(Bucket=PROCESSED)["Versions"]

    again = contract_handler.lambda_handler(created("a.jpg", version), None)

    assert [e["version_id"] for e in again["processed"]] == [version]
    assert s3.list_object_versions(Bucket=PROCESSED)["Versions"] == versions_before
    first, second = received(queue[1])
    assert first["id"] == second["id"] and first["manifest"] == second["manifest"]


def test_deleting_the_upload_removes_its_outputs_and_announces_it(
    versioned, queue, contract_handler
):
    s3 = versioned
    version = upload(s3, "d/x.png", encode(photo((60, 40)), "PNG"))
    contract_handler.lambda_handler(created("d/x.png", version), None)
    marker = s3.delete_object(Bucket=UPLOADS, Key="d/x.png")["VersionId"]

    result = contract_handler.lambda_handler(removed("d/x.png", marker), None)
    retried = contract_handler.lambda_handler(removed("d/x.png", marker), None)

    assert processed_keys(s3) == []
    [deleted] = result["deleted"]
    assert list(deleted["removed"]) == outputs_of("d/x")
    assert retried["deleted"] == result["deleted"]
    messages = received(queue[1])
    assert [m["event"] for m in messages] == ["processed", "deleted", "deleted"]
    assert messages[1] == messages[2]
    assert messages[1]["source"] == {"bucket": UPLOADS, "key": "d/x.png", "version_id": marker}
    assert messages[1]["removed"] == outputs_of("d/x")


def test_an_upload_deleted_before_its_event_is_not_processed(versioned, contract_handler):
    s3 = versioned
    version = upload(s3, "late.jpg", encode(photo((60, 40)), "JPEG"))
    s3.delete_object(Bucket=UPLOADS, Key="late.jpg")

    result = contract_handler.lambda_handler(created("late.jpg", version), None)

    assert result["processed"] == [] and processed_keys(s3) == []
    [rejected] = result["rejected"]
    assert rejected["reason"] == "source object not found (404)"


def test_removal_events_are_ignored_when_deletes_are_off(versioned, load_handler):
    s3 = versioned
    handler = load_handler(DELETE_OUTPUTS="false")
    version = upload(s3, "k.jpg", encode(photo((60, 40)), "JPEG"))
    handler.lambda_handler(created("k.jpg", version), None)
    s3.delete_object(Bucket=UPLOADS, Key="k.jpg")

    result = handler.lambda_handler(removed("k.jpg"), None)

    assert "DELETE_OUTPUTS" in result["skipped"][0]["reason"]
    assert processed_keys(s3) == outputs_of("k")


def test_a_bad_new_version_rejects_and_leaves_no_outputs_of_the_old(
    versioned, queue, contract_handler
):
    s3 = versioned
    good = upload(s3, "p.jpg", encode(photo((60, 40)), "JPEG"))
    contract_handler.lambda_handler(created("p.jpg", good), None)
    bad = upload(s3, "p.jpg", b"not an image at all")

    result = contract_handler.lambda_handler(created("p.jpg", bad), None)

    [rejected] = result["rejected"]
    assert rejected["version_id"] == bad
    assert processed_keys(s3) == []
    messages = received(queue[1])
    assert [m["event"] for m in messages] == ["processed", "rejected"]
    assert messages[1]["source"]["version_id"] == bad


class InjectedError(Exception):
    """Raised by a test in place of one AWS request."""


@pytest.mark.parametrize("fail_at", [1, 3, 5, 6])
def test_a_failed_put_leaves_no_manifest_and_no_partial_set_and_the_retry_completes(
    versioned, queue, load_handler, fail_at
):
    """The ``fail_at``-th PutObject of the attempt fails (6 is the manifest)."""
    s3 = versioned
    version = upload(s3, "f.jpg", encode(photo((60, 40)), "JPEG"))
    puts = {"count": 0}

    def fail_one_put(**_: Any) -> None:
        puts["count"] += 1
        if puts["count"] == fail_at:
            raise InjectedError(f"PutObject number {fail_at} failed")

    boto3.DEFAULT_SESSION.events.register("before-send.s3.PutObject", fail_one_put)
    contract_handler = load_handler(NOTIFICATION_TOPIC_ARN=queue[0])
    with pytest.raises(InjectedError):
        contract_handler.lambda_handler(created("f.jpg", version), None)

    assert processed_keys(s3) == []
    assert received(queue[1]) == []
    result = contract_handler.lambda_handler(created("f.jpg", version), None)
    assert [e["key"] for e in result["processed"]] == ["f.jpg"]
    assert processed_keys(s3) == outputs_of("f")
    assert [m["event"] for m in received(queue[1])] == ["processed"]


def test_a_failed_publish_raises_and_the_retry_publishes(versioned, queue, load_handler):
    s3 = versioned
    version = upload(s3, "n.jpg", encode(photo((60, 40)), "JPEG"))
    calls = {"count": 0}

    def fail_first_publish(**_: Any) -> None:
        calls["count"] += 1
        if calls["count"] == 1:
            raise InjectedError("SNS unreachable")

    boto3.DEFAULT_SESSION.events.register("before-send.sns.Publish", fail_first_publish)
    contract_handler = load_handler(NOTIFICATION_TOPIC_ARN=queue[0])
    with pytest.raises(InjectedError):
        contract_handler.lambda_handler(created("n.jpg", version), None)
    assert processed_keys(s3) == outputs_of("n")  # complete: only the message is missing

    contract_handler.lambda_handler(created("n.jpg", version), None)

    [message] = received(queue[1])
    assert message["manifest"] == manifest_of(s3, "n")


def test_a_name_collision_is_rejected_naming_the_owner(versioned, queue, contract_handler):
    s3 = versioned
    jpg = upload(s3, "same/a.jpg", encode(photo((60, 40)), "JPEG"))
    png = upload(s3, "same/a.png", encode(photo((30, 20)), "PNG"))
    contract_handler.lambda_handler(created("same/a.jpg", jpg), None)

    result = contract_handler.lambda_handler(created("same/a.png", png), None)

    [rejected] = result["rejected"]
    assert "same/a.jpg" in rejected["reason"] and "collision" in rejected["reason"]
    assert manifest_of(s3, "same/a")["source"]["key"] == "same/a.jpg"
    assert [m["event"] for m in received(queue[1])] == ["processed", "rejected"]
    # Deleting the loser leaves the owner's outputs; deleting the owner frees the names.
    s3.delete_object(Bucket=UPLOADS, Key="same/a.png")
    contract_handler.lambda_handler(removed("same/a.png"), None)
    assert processed_keys(s3) == outputs_of("same/a")
    assert manifest_of(s3, "same/a")["source"]["key"] == "same/a.jpg"


def test_name_collision_replace_lets_the_latest_upload_win(versioned, load_handler):
    s3 = versioned
    handler = load_handler(NAME_COLLISION="replace")
    jpg = upload(s3, "a.jpg", encode(photo((60, 40)), "JPEG"))
    png = upload(s3, "a.png", encode(photo((30, 20)), "PNG"))
    handler.lambda_handler(created("a.jpg", jpg), None)

    result = handler.lambda_handler(created("a.png", png), None)

    assert [e["key"] for e in result["processed"]] == ["a.png"]
    assert manifest_of(s3, "a")["source"]["key"] == "a.png"
    assert processed_keys(s3) == outputs_of("a")
