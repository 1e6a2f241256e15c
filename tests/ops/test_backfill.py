"""The backfill against moto S3, with the Lambda client checked by botocore's Stubber."""

from __future__ import annotations

import importlib
import io
import json
import sys
from datetime import UTC, datetime
from urllib.parse import unquote_plus

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from function.manifest import manifest_key
from function.settings import load_settings
from function.storage import Storage
from function.variant_spec import DEFAULT_VARIANTS, parse_variants, variants_to_json
from ops import backfill
from ops.backfill import BackfillOptions, backfill_event, deployed_variants, run_backfill
from ops.backfill_plan import RateLimiter, SourceObject, expected_output_keys
from ops.smoke_check import probe_image

REGION = "eu-west-1"
FUNCTION = "image-pipeline-fn"
UPLOADS = "uploads-bucket"
PROCESSED = "processed-bucket"
INVOKE_ACCEPTED = {"StatusCode": 202}


@pytest.fixture
def aws(moto_aws):
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in (UPLOADS, PROCESSED):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    yield s3


@pytest.fixture
def lambda_stub():
    client = boto3.client("lambda", region_name=REGION)
    payloads: list[dict] = []

    def capture(params, **_):
        if "Payload" in params:
            payloads.append(json.loads(params["Payload"]))

    client.meta.events.register("provide-client-params.lambda.Invoke", capture)
    with Stubber(client) as stubber:
        yield client, stubber, payloads
        stubber.assert_no_pending_responses()


def expect_invokes(stubber: Stubber, count: int) -> None:
    for _ in range(count):
        stubber.add_response(
            "invoke",
            INVOKE_ACCEPTED,
            {"FunctionName": FUNCTION, "InvocationType": "Event", "Payload": ANY},
        )


def upload(s3, key: str, body: bytes = b"image bytes") -> str:
    return s3.put_object(Bucket=UPLOADS, Key=key, Body=body)["VersionId"]


def write_outputs(s3, key: str, variants=DEFAULT_VARIANTS, skip: int = 0) -> None:
    """The outputs of the key's current version (of none, if it does not exist yet); with
    ``skip`` an incomplete set: the first outputs missing and no manifest."""
    outputs = expected_output_keys(key, variants)
    for output in outputs[skip:]:
        s3.put_object(Bucket=PROCESSED, Key=output, Body=b"variant")
    if skip:
        return
    try:
        version = s3.head_object(Bucket=UPLOADS, Key=key)["VersionId"]
    except ClientError:
        version = None
    manifest = {
        "schema": 1,
        "source": {"bucket": UPLOADS, "key": key, "version_id": version},
        "variants": [{"key": output} for output in outputs],
    }
    s3.put_object(Bucket=PROCESSED, Key=manifest_key(key), Body=json.dumps(manifest))


def options(tmp_path, **overrides) -> BackfillOptions:
    values = {
        "upload_bucket": UPLOADS,
        "processed_bucket": PROCESSED,
        "function_name": FUNCTION,
        "region": REGION,
        "state_path": tmp_path / "state.json",
        "concurrency": 1,
        "rate": 1000.0,
    }
    values.update(overrides)
    return BackfillOptions(**values)


def run(opts, s3, client, variants=DEFAULT_VARIANTS):
    stream = io.StringIO()
    summary = run_backfill(opts, s3, client, variants, progress_stream=stream)
    return summary, stream.getvalue()


def keys_of(payloads: list[dict]) -> list[str]:
    return sorted(unquote_plus(p["Records"][0]["s3"]["object"]["key"]) for p in payloads)


def test_invokes_only_unprocessed_objects_with_well_formed_events(aws, lambda_stub, tmp_path):
    client, stubber, payloads = lambda_stub
    versions = {key: upload(aws, key) for key in ("done.jpg", "partial.jpg", "new one.png")}
    write_outputs(aws, "done.jpg")
    write_outputs(aws, "partial.jpg", skip=1)
    expect_invokes(stubber, 2)

    summary, progress = run(options(tmp_path), aws, client)

    assert (summary.listed, summary.already_processed, summary.to_invoke) == (3, 1, 2)
    assert (summary.invoked, summary.failed) == (2, 0)
    assert keys_of(payloads) == ["new one.png", "partial.jpg"]
    for payload in payloads:
        (record,) = payload["Records"]
        key = unquote_plus(record["s3"]["object"]["key"])
        head = aws.head_object(Bucket=UPLOADS, Key=key)
        assert record["eventName"].startswith("ObjectCreated:")
        assert record["awsRegion"] == REGION
        assert record["s3"]["bucket"]["name"] == UPLOADS
        assert record["s3"]["object"]["versionId"] == versions[key]
        assert record["s3"]["object"]["size"] == head["ContentLength"]
        assert record["s3"]["object"]["eTag"] == head["ETag"].strip('"')
    assert "new+one.png" in {p["Records"][0]["s3"]["object"]["key"] for p in payloads}
    assert "2/2 100%" in progress
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["done"] == {
        "new one.png": versions["new one.png"],
        "partial.jpg": versions["partial.jpg"],
    }


def test_stale_outputs_and_reuploads_are_reprocessed(aws, lambda_stub, tmp_path):
    client, stubber, payloads = lambda_stub
    upload(aws, "cat.jpg")
    write_outputs(aws, "cat.jpg")  # its manifest names this version...
    upload(aws, "cat.jpg")  # ...and the key has a newer one
    expect_invokes(stubber, 1)
    summary, _ = run(options(tmp_path), aws, client)
    assert summary.invoked == 1
    assert keys_of(payloads) == ["cat.jpg"]


def test_prefix_force_and_resume(aws, lambda_stub, tmp_path):
    client, stubber, payloads = lambda_stub
    for key in ("a/1.jpg", "a/2.jpg", "a/3.jpg", "b/1.jpg"):
        upload(aws, key)
    write_outputs(aws, "a/1.jpg")
    # First run: the second invocation is throttled beyond the client's retries.
    expect_invokes(stubber, 1)
    stubber.add_client_error("invoke", "TooManyRequestsException", http_status_code=429)
    summary, _ = run(options(tmp_path, prefix="a/"), aws, client)
    assert (summary.listed, summary.already_processed, summary.invoked, summary.failed) == (
        3,
        1,
        1,
        1,
    )
    assert summary.failed_keys == ["a/3.jpg"]
    state = json.loads((tmp_path / "state.json").read_text())
    assert sorted(state["done"]) == ["a/2.jpg"]
    assert sorted(state["failed"]) == ["a/3.jpg"]

    # Rerun: resumes, only the failed one is invoked again.
    payloads.clear()
    expect_invokes(stubber, 1)
    summary, _ = run(options(tmp_path, prefix="a/"), aws, client)
    assert (summary.already_done, summary.invoked, summary.failed) == (1, 1, 0)
    assert keys_of(payloads) == ["a/3.jpg"]

    # --force ignores the processed bucket but still resumes from the state file.
    payloads.clear()
    expect_invokes(stubber, 1)
    summary, _ = run(options(tmp_path, prefix="a/", force=True), aws, client)
    assert (summary.already_done, summary.invoked) == (2, 1)
    assert keys_of(payloads) == ["a/1.jpg"]

    # --fresh with --force: everything under the prefix again.
    payloads.clear()
    expect_invokes(stubber, 3)
    summary, _ = run(options(tmp_path, prefix="a/", force=True, fresh=True), aws, client)
    assert keys_of(payloads) == ["a/1.jpg", "a/2.jpg", "a/3.jpg"]


def test_dry_run_invokes_nothing_and_writes_no_state(aws, lambda_stub, tmp_path):
    client, _, payloads = lambda_stub
    upload(aws, "x.jpg")
    summary, _ = run(options(tmp_path, dry_run=True), aws, client)
    assert (summary.to_invoke, summary.invoked, summary.dry_run) == (1, 0, True)
    assert payloads == []
    assert not (tmp_path / "state.json").exists()


def test_listing_is_paginated_and_skips_deleted_objects(aws, lambda_stub, tmp_path):
    client, stubber, payloads = lambda_stub
    for index in range(7):
        upload(aws, f"p/{index}.jpg")
    aws.delete_object(Bucket=UPLOADS, Key="p/6.jpg")  # a delete marker is now the latest
    upload(aws, "p/0.jpg", b"second version")
    pages = []
    aws.meta.events.register("before-call.s3.ListObjectVersions", lambda **kw: pages.append(1))
    expect_invokes(stubber, 6)
    summary, _ = run(options(tmp_path, page_size=2, concurrency=3), aws, client)
    assert len(pages) >= 4
    assert summary.listed == 6
    assert keys_of(payloads) == [f"p/{index}.jpg" for index in range(6)]
    latest = aws.head_object(Bucket=UPLOADS, Key="p/0.jpg")["VersionId"]
    (first,) = [p for p in payloads if p["Records"][0]["s3"]["object"]["key"] == "p/0.jpg"]
    assert first["Records"][0]["s3"]["object"]["versionId"] == latest


def test_custom_variants_decide_what_is_processed(aws, lambda_stub, tmp_path):
    client, stubber, _ = lambda_stub
    variants = parse_variants([{"suffix": "small", "format": "WEBP", "max_width": 64}])
    upload(aws, "v.jpg")
    write_outputs(aws, "v.jpg", variants)
    summary, _ = run(options(tmp_path), aws, client, variants)
    assert summary.already_processed == 1
    expect_invokes(stubber, 1)
    summary, _ = run(options(tmp_path), aws, client, DEFAULT_VARIANTS)
    assert summary.invoked == 1


def test_rate_limits_invocations(aws, lambda_stub, tmp_path):
    client, stubber, _ = lambda_stub
    for index in range(4):
        upload(aws, f"r{index}.jpg")
    waits: list[float] = []
    limiter = RateLimiter(5, sleep=waits.append, clock=lambda: 0.0)
    expect_invokes(stubber, 4)
    run_backfill(
        options(tmp_path),
        aws,
        client,
        DEFAULT_VARIANTS,
        limiter=limiter,
        progress_stream=io.StringIO(),
    )
    assert waits == pytest.approx([0.2, 0.4, 0.6])


def test_deployed_variants_come_from_the_function_configuration(lambda_stub):
    client, stubber, _ = lambda_stub
    variants = parse_variants([{"suffix": "t", "format": "PNG", "max_width": 10}])
    stubber.add_response(
        "get_function_configuration",
        {"Environment": {"Variables": {"VARIANTS": variants_to_json(variants)}}},
        {"FunctionName": FUNCTION},
    )
    stubber.add_response("get_function_configuration", {}, {"FunctionName": FUNCTION})
    assert deployed_variants(client, FUNCTION) == variants
    assert deployed_variants(client, FUNCTION) == DEFAULT_VARIANTS


def test_cli_dry_run_from_an_outputs_file(aws, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    upload(aws, "cli.jpg")
    outputs = {
        "upload_bucket_name": UPLOADS,
        "upload_bucket_arn": f"arn:aws:s3:::{UPLOADS}",
        "processed_bucket_name": PROCESSED,
        "processed_bucket_arn": f"arn:aws:s3:::{PROCESSED}",
        "function_name": FUNCTION,
        "function_arn": f"arn:aws:lambda:{REGION}:123456789012:function:{FUNCTION}",
        "function_role_arn": "arn:aws:iam::123456789012:role/fn",
        "log_group_name": f"/aws/lambda/{FUNCTION}",
        "failure_queue_url": f"https://sqs.{REGION}.amazonaws.com/123456789012/failures",
        "notification_topic_arn": f"arn:aws:sns:{REGION}:123456789012:notifications",
    }
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    variants = '[{"suffix": "s", "format": "PNG"}]'
    code = backfill.main(["--outputs", str(path), "--dry-run", "--variants", variants])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (summary["listed"], summary["to_invoke"], summary["dry_run"]) == (1, 1, True)

    # The outputs file's variants (the local stack writes them): no Lambda API call needed.
    path.write_text(json.dumps({**outputs, "variants": variants}))
    assert backfill.main(["--outputs", str(path), "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["to_invoke"] == 1

    path.write_text(json.dumps({"upload_bucket_name": UPLOADS}))
    assert backfill.main(["--outputs", str(path), "--dry-run"]) == 2
    assert capsys.readouterr().err.startswith("backfill cannot run: stack outputs lack")


def test_event_time_is_recent(aws, lambda_stub, tmp_path):
    client, stubber, payloads = lambda_stub
    upload(aws, "t.jpg")
    expect_invokes(stubber, 1)
    before = datetime.now(UTC).replace(microsecond=0)
    run(options(tmp_path), aws, client)
    when = datetime.strptime(payloads[0]["Records"][0]["eventTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert when.replace(tzinfo=UTC) >= before


def test_backfill_events_drive_the_real_handler(aws, lambda_stub, tmp_path, monkeypatch):
    """The payloads the backfill sends are processed by the real handler; the next run then
    finds every upload processed and invokes nothing."""
    client, stubber, payloads = lambda_stub
    monkeypatch.setenv("PROCESSED_BUCKET", PROCESSED)
    monkeypatch.delitem(sys.modules, "function.lambda_function", raising=False)
    handler = importlib.import_module("function.lambda_function")
    settings = load_settings({"PROCESSED_BUCKET": PROCESSED})
    storage = Storage(aws)
    for key in ("in/one photo.jpg", "in/ünï.jpg"):
        upload(aws, key, probe_image())
    expect_invokes(stubber, 2)
    run(options(tmp_path), aws, client)

    for payload in payloads:
        result = handler.handle_event(payload, settings, storage)
        assert result.rejected == []
        (processed,) = result.processed
        key = unquote_plus(payload["Records"][0]["s3"]["object"]["key"])
        assert processed.key == key
        assert processed.version_id == payload["Records"][0]["s3"]["object"]["versionId"]

    payloads.clear()
    summary, _ = run(options(tmp_path, fresh=True), aws, client)
    assert (summary.already_processed, summary.invoked) == (2, 0)
    assert payloads == []


def test_an_interrupted_run_saves_its_state_and_the_next_resumes(aws, lambda_stub, tmp_path):
    client, stubber, payloads = lambda_stub
    for index in range(4):
        upload(aws, f"i{index}.jpg")
    calls = []

    class InterruptingLimiter(RateLimiter):
        def acquire(self) -> float:
            calls.append(1)
            if len(calls) == 3:
                raise KeyboardInterrupt
            return 0.0

    expect_invokes(stubber, 2)
    with pytest.raises(KeyboardInterrupt):
        run_backfill(
            options(tmp_path),
            aws,
            client,
            DEFAULT_VARIANTS,
            limiter=InterruptingLimiter(1),
            progress_stream=io.StringIO(),
        )
    state = json.loads((tmp_path / "state.json").read_text())
    assert sorted(state["done"]) == ["i0.jpg", "i1.jpg"]

    payloads.clear()
    expect_invokes(stubber, 2)
    summary, _ = run(options(tmp_path), aws, client)
    assert (summary.already_done, summary.invoked) == (2, 2)
    assert keys_of(payloads) == ["i2.jpg", "i3.jpg"]


T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def test_event_is_shaped_like_s3s_notification():
    key = "dir/my photo+ü.jpg"
    event = backfill_event(
        SourceObject(key, "3HL4kqtJlcpXroDTDmJ", 1234, '"d41d8cd98f00b204e9800998ecf8427e"', T0),
        "uploads",
        "eu-west-1",
        now=T0,
    )
    (record,) = event["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventTime"] == "2026-01-02T03:04:05.678Z"
    obj = record["s3"]["object"]
    assert obj["key"] == "dir/my+photo%2B%C3%BC.jpg"
    assert unquote_plus(obj["key"]) == key
    assert obj["versionId"] == "3HL4kqtJlcpXroDTDmJ"
    assert obj["eTag"] == "d41d8cd98f00b204e9800998ecf8427e"
    assert obj["size"] == 1234
    assert record["s3"]["bucket"] == {
        "name": "uploads",
        "ownerIdentity": {"principalId": "backfill"},
        "arn": "arn:aws:s3:::uploads",
    }
    unversioned = backfill_event(SourceObject("k", "null", 1, "e", T0), "b", "r")
    assert "versionId" not in unversioned["Records"][0]["s3"]["object"]
    multipart = backfill_event(SourceObject("k", "v", 1, '"abc-3"', T0), "b", "r")
    assert multipart["Records"][0]["eventName"] == "ObjectCreated:CompleteMultipartUpload"
