"""The local pipeline: embedded moto S3 over real HTTP, stack-like buckets, S3 event payloads and
the real handler receiving them (cold start, environment, retries, failure list)."""

from __future__ import annotations

import io
import os
import socket
import sys
import urllib.request
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import unquote_plus

import pytest
from PIL import Image

from function.s3_event import (
    Sequencer,
    event_name_for,
    format_event_time,
    object_created_event,
)
from infra.stack_outputs import STACK_OUTPUT_NAMES
from local.local_pipeline import (
    FunctionConfig,
    FunctionLoadError,
    LocalPipeline,
    cold_start,
    patched_environ,
)
from local.local_s3 import BucketNames, LocalS3, PortUnavailableError, create_stack_buckets


def jpeg_bytes(size: tuple[int, int] = (640, 360)) -> bytes:
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize(size).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def s3():
    with LocalS3() as server:
        yield server


# --- the embedded endpoint -------------------------------------------------------------------


def test_endpoint_serves_real_http_on_loopback(s3: LocalS3) -> None:
    assert s3.endpoint_url.startswith("http://127.0.0.1:")
    assert s3.port and s3.port > 0
    with urllib.request.urlopen(s3.endpoint_url + "/moto-api/data.json", timeout=5) as response:
        assert response.status == 200
    client = s3.client()
    client.create_bucket(Bucket="plain")
    assert [b["Name"] for b in client.list_buckets()["Buckets"]] == ["plain"]


def test_busy_port_is_a_clear_error_and_stop_frees_the_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortUnavailableError, match=rf"127\.0\.0\.1:{port}.*in use"):
            LocalS3(port=port).start()
    server = LocalS3(port=port)
    server.start()
    assert server.endpoint_url == f"http://127.0.0.1:{port}"
    server.stop()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.endpoint_url
    with socket.socket() as again:  # really released
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


def test_buckets_are_hardened_like_the_stack(s3: LocalS3) -> None:
    client = s3.client()
    names = BucketNames()
    create_stack_buckets(client, names)
    for bucket in (names.upload, names.processed):
        assert client.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        rules = client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
        default = rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "AES256"
        block = client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert block == dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        )
        ownership = client.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
        assert ownership["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        put = client.put_object(Bucket=bucket, Key="k", Body=b"x")
        assert put["ServerSideEncryption"] == "AES256"
        assert put["VersionId"]


# --- event payloads (pure) ---------------------------------------------------------------------


def test_event_has_the_shape_s3_sends() -> None:
    moment = datetime(2024, 5, 1, 12, 30, 45, 678_901, tzinfo=UTC)
    event = object_created_event(
        bucket="uploads",
        key="holiday/beach day+1 é.jpg",
        size=1234,
        etag='"d41d8cd98f00b204e9800998ecf8427e"',
        version_id="v1",
        sequencer="0065F1",
        event_time=moment,
        region="eu-west-1",
    )
    (record,) = event["Records"]
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventTime"] == "2024-05-01T12:30:45.678Z"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"] == {
        "name": "uploads",
        "ownerIdentity": {"principalId": record["userIdentity"]["principalId"]},
        "arn": "arn:aws:s3:::uploads",
    }
    obj = record["s3"]["object"]
    assert obj["key"] == "holiday/beach+day%2B1+%C3%A9.jpg"
    assert unquote_plus(obj["key"]) == "holiday/beach day+1 é.jpg"
    assert obj["size"] == 1234
    assert obj["eTag"] == "d41d8cd98f00b204e9800998ecf8427e"
    assert obj["versionId"] == "v1"
    assert obj["sequencer"] == "0065F1"


@pytest.mark.parametrize("version_id", [None, "null"])
def test_unversioned_objects_carry_no_version_id(version_id: str | None) -> None:
    event = object_created_event(
        bucket="b",
        key="k",
        size=1,
        etag="e",
        version_id=version_id,
        sequencer="01",
        event_time=datetime.now(UTC),
        region="us-east-1",
    )
    assert "versionId" not in event["Records"][0]["s3"]["object"]


def test_event_time_is_utc_with_milliseconds() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert format_event_time(datetime(2024, 1, 1, 1, 0, 0, 5_000, plus_two)) == (
        "2023-12-31T23:00:00.005Z"
    )
    assert format_event_time(datetime(2024, 1, 1)) == "2024-01-01T00:00:00.000Z"


def test_event_name_follows_the_etag() -> None:
    assert event_name_for('"9b2cf535f27731c974343645a3985328"') == "ObjectCreated:Put"
    assert (
        event_name_for('"9b2cf535f27731c974343645a3985328-3"')
        == "ObjectCreated:CompleteMultipartUpload"
    )


def test_sequencers_increase_as_hex_of_fixed_width() -> None:
    sequencer = Sequencer(start=0xFF)
    values = [sequencer.next() for _ in range(3)]
    assert values == ["0000000000000000FF", "000000000000000100", "000000000000000101"]
    assert [int(v, 16) for v in values] == sorted(int(v, 16) for v in values)


# --- the handler, loaded as Lambda loads it -----------------------------------------------------


def test_cold_start_imports_afresh_and_restores_the_interpreter() -> None:
    previous = sys.modules.get("function.lambda_function")
    with patched_environ({"PROCESSED_BUCKET": "out-bucket", "AWS_DEFAULT_REGION": "us-east-1"}):
        with cold_start() as first:
            assert first.SETTINGS.processed_bucket == "out-bucket"
        with cold_start() as second:
            assert second is not first
    assert sys.modules.get("function.lambda_function") is previous


def test_cold_start_reports_a_bad_configuration() -> None:
    env = {"PROCESSED_BUCKET": "p", "VARIANTS": "[{}]", "AWS_DEFAULT_REGION": "us-east-1"}
    with (
        patched_environ(env),
        pytest.raises(FunctionLoadError, match=r"cold start: ConfigError: VARIANTS"),
        cold_start(),
    ):
        pass


def test_patched_environ_sets_unsets_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_KEEP", "before")
    monkeypatch.delenv("DEMO_NEW", raising=False)
    with patched_environ({"DEMO_KEEP": None, "DEMO_NEW": "set"}):
        assert "DEMO_KEEP" not in os.environ
        assert os.environ["DEMO_NEW"] == "set"
    assert os.environ["DEMO_KEEP"] == "before"
    assert "DEMO_NEW" not in os.environ


def test_deliver_runs_the_real_handler_over_http(s3: LocalS3, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # would win over ours
    monkeypatch.setenv("VARIANTS", "not json")  # an ambient value must not leak in
    variants = '[{"suffix":"small","format":"WEBP","quality":70,"max_width":200}]'
    with LocalPipeline(s3, config=FunctionConfig(variants_json=variants)) as pipeline:
        assert os.environ["AWS_ENDPOINT_URL"] == s3.endpoint_url
        assert "AWS_ENDPOINT_URL_S3" not in os.environ
        version = pipeline.upload("trip/a b.jpg", jpeg_bytes())
        delivery = pipeline.deliver("trip/a b.jpg")
        obj = delivery.event["Records"][0]["s3"]["object"]
        assert obj["key"] == "trip/a+b.jpg"
        assert obj["versionId"] == version
        assert delivery.succeeded
        assert delivery.attempts == 1
        (entry,) = delivery.result.processed
        assert entry.key == "trip/a b.jpg"
        assert entry.version_id == version
        assert [o.key for o in entry.outputs] == ["trip/a b_small.webp"]
        body = pipeline.client.get_object(
            Bucket=pipeline.processed_bucket, Key="trip/a b_small.webp"
        )
        with Image.open(io.BytesIO(body["Body"].read())) as image:
            assert (image.format, image.size) == ("WEBP", (200, 112))
        assert pipeline.failures == []
    assert os.environ["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:9"
    assert os.environ["VARIANTS"] == "not json"


def test_notifications_reach_the_subscribed_queue_and_a_delete_removes_outputs(
    s3: LocalS3,
) -> None:
    variants = '[{"suffix":"small","format":"WEBP","quality":70,"max_width":200}]'
    with LocalPipeline(s3, config=FunctionConfig(variants_json=variants)) as pipeline:
        version = pipeline.upload("d/a.jpg", jpeg_bytes())
        pipeline.deliver("d/a.jpg")
        listed = pipeline.client.list_objects_v2(Bucket=pipeline.processed_bucket)
        assert sorted(o["Key"] for o in listed["Contents"]) == [
            "d/a_manifest.json",
            "d/a_small.webp",
        ]

        deletion = pipeline.delete("d/a.jpg")

        (deleted,) = deletion.result.deleted
        assert deleted.removed == ("d/a_manifest.json", "d/a_small.webp")
        listed = pipeline.client.list_objects_v2(Bucket=pipeline.processed_bucket)
        assert listed.get("Contents", []) == []
        processed, removed = pipeline.notifications()
        assert processed["event"] == "processed"
        assert processed["manifest"]["source"]["version_id"] == version
        assert removed["event"] == "deleted"
        assert removed["removed"] == ["d/a_manifest.json", "d/a_small.webp"]
        assert pipeline.notifications() == []
        assert pipeline.stack_outputs()["notification_topic_arn"] == pipeline.topic_arn


def test_stack_outputs_name_the_local_resources(s3: LocalS3) -> None:
    with LocalPipeline(s3) as pipeline:
        outputs = pipeline.stack_outputs()
        assert set(outputs) == set(STACK_OUTPUT_NAMES)
        listed = {b["Name"] for b in pipeline.client.list_buckets()["Buckets"]}
        assert {outputs["upload_bucket_name"], outputs["processed_bucket_name"]} == listed
        assert outputs["log_group_name"] == f"/aws/lambda/{outputs['function_name']}"


def test_a_transient_failure_is_retried_then_listed_as_failed(s3: LocalS3) -> None:
    with LocalPipeline(s3, retries=2, retry_delay_s=0.01) as pipeline:
        client = pipeline.client
        pipeline.upload("x.jpg", jpeg_bytes())
        # Without the processed bucket every write fails: transient, so the handler raises.
        assert "Versions" not in client.list_object_versions(Bucket=pipeline.processed_bucket)
        client.delete_bucket(Bucket=pipeline.processed_bucket)
        delivery = pipeline.deliver("x.jpg")
        assert not delivery.succeeded
        assert delivery.attempts == 3
        assert "NoSuchBucket" in (delivery.error or "")
        assert pipeline.failures == [delivery]


def test_a_rejected_upload_is_a_successful_delivery(s3: LocalS3) -> None:
    with LocalPipeline(s3) as pipeline:
        pipeline.upload("notes.jpg", b"plain text, not a JPEG")
        delivery = pipeline.deliver("notes.jpg")
        assert delivery.succeeded
        assert delivery.result.processed == []
        (rejected,) = delivery.result.rejected
        assert rejected.key == "notes.jpg"
        assert rejected.reason
        assert pipeline.failures == []
