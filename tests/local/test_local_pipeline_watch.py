"""Watch mode: an outside S3 client uploads to the embedded endpoint and the variants appear,
as they would in a deployed stack (the dispatcher polls and delivers one event per version)."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from PIL import Image

from local.local_pipeline import FunctionConfig, LocalPipeline
from local.local_s3 import LocalS3

VARIANTS = (
    '[{"suffix":"thumb","format":"JPEG","quality":80,"max_width":64,"max_height":64},'
    '{"suffix":"web","format":"WEBP","quality":75}]'
)


def png_with_alpha() -> bytes:
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    image.paste((200, 30, 60, 255), (50, 50, 250, 150))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def wait_for(client: Any, bucket: str, key: str, timeout_s: float = 20.0) -> bytes:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchKey" or time.monotonic() > deadline:
                raise
        time.sleep(0.1)


@pytest.fixture
def watched():
    with (
        LocalS3() as s3,
        LocalPipeline(s3, config=FunctionConfig(variants_json=VARIANTS)) as pipeline,
        pipeline.watch(interval_s=0.05) as dispatcher,
    ):
        yield s3, pipeline, dispatcher


def test_plain_boto3_upload_gets_its_variants(watched) -> None:
    s3, pipeline, dispatcher = watched
    outputs = pipeline.stack_outputs()
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=s3.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="anything",
        aws_secret_access_key="anything",
    )
    client.put_object(
        Bucket=outputs["upload_bucket_name"], Key="smoke/probe 1.png", Body=png_with_alpha()
    )
    processed = outputs["processed_bucket_name"]
    thumb = wait_for(client, processed, "smoke/probe 1_thumb.jpg")
    web = wait_for(client, processed, "smoke/probe 1_web.webp")
    with Image.open(io.BytesIO(thumb)) as image:
        assert (image.format, image.size) == ("JPEG", (64, 43))
    with Image.open(io.BytesIO(web)) as image:
        assert (image.format, image.size, image.mode) == ("WEBP", (300, 200), "RGBA")
    head = client.head_object(Bucket=processed, Key="smoke/probe 1_web.webp")
    assert head["ContentType"] == "image/webp"
    manifest = json.loads(wait_for(client, processed, "smoke/probe 1_manifest.json"))
    assert manifest["source"]["key"] == "smoke/probe 1.png"
    # The handler's last put lands before the dispatcher records the delivery: wait for it.
    deadline = time.monotonic() + 20
    while not pipeline.deliveries and time.monotonic() < deadline:
        time.sleep(0.05)
    (delivery,) = pipeline.deliveries
    assert delivery.key == "smoke/probe 1.png"
    assert delivery.event["Records"][0]["s3"]["object"]["key"] == "smoke/probe+1.png"
    assert dispatcher.errors == []


def test_each_new_version_is_delivered_exactly_once(watched) -> None:
    _s3, pipeline, dispatcher = watched
    first = pipeline.upload("again.png", png_with_alpha())
    second = pipeline.upload("again.png", b"now not an image")
    deadline = time.monotonic() + 20
    while len(pipeline.deliveries) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    polls = dispatcher.polls
    while dispatcher.polls < polls + 3:  # a few more polls must not deliver anything again
        time.sleep(0.05)
    assert [(d.key, d.version_id) for d in pipeline.deliveries] == [
        ("again.png", first),
        ("again.png", second),
    ]
    # The first version was no longer current when its event came (unless it came first).
    first_result = pipeline.deliveries[0].result
    assert first_result.processed or first_result.skipped[0].version_id == first
    assert pipeline.deliveries[1].result.rejected[0].version_id == second


def test_an_explicit_delivery_is_not_repeated_by_the_watcher(watched) -> None:
    _s3, pipeline, dispatcher = watched
    dispatcher.stop()
    version = pipeline.upload("direct.png", png_with_alpha())
    pipeline.deliver("direct.png")
    assert pipeline.pending_versions() == []
    assert pipeline.deliver_pending() == []
    assert [(d.key, d.version_id) for d in pipeline.deliveries] == [("direct.png", version)]
