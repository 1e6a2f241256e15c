"""Events and failures: keys, records, duplicates, bad uploads, limits, transient S3 errors."""

from __future__ import annotations

import json
import logging
import struct
import sys
import zlib
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError
from PIL import Image

from tests.function.function_helpers import (
    DEFAULT_SUFFIXES,
    PROCESSED,
    UPLOADS,
    encode,
    event,
    photo,
    processed_keys,
    read_output,
    record,
    upload,
)


def outputs_of(stem: str) -> list[str]:
    variants = [f"{stem}_{suffix}.{extension}" for suffix, extension in DEFAULT_SUFFIXES]
    return sorted([*variants, f"{stem}_manifest.json"])


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` with almost no compressed data: the shape
    of a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 4096)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "key",
    [
        "my holiday photo.jpg",
        "a+b=c.jpg",
        "café/ünïcødé 写真.jpg",
        "deep/nested/prefix/x.y.z.jpg",
        "100%/odd&chars?.jpg",
    ],
)
def test_keys_are_url_decoded_and_prefixes_kept(s3, handler, key):
    upload(s3, key, encode(photo((200, 100)), "JPEG"))

    result = handler.lambda_handler(event(key), None)

    [entry] = result["processed"]
    assert entry["key"] == key
    prefix, _, filename = key.rpartition("/")
    stem = (f"{prefix}/" if prefix else "") + filename.rsplit(".", 1)[0]
    assert processed_keys(s3) == outputs_of(stem)
    _, head = read_output(s3, f"{stem}_thumbnail.jpg")
    metadata = head["Metadata"]["source-key"]
    assert metadata.isascii()
    assert unquote(metadata) == key


def test_several_records_and_duplicate_delivery(s3, handler):
    for name in ("one.jpg", "two.png", "three.gif"):
        image_format = name.rsplit(".", 1)[1].replace("jpg", "jpeg").upper()
        upload(
            s3,
            name,
            encode(
                photo((90, 60)).convert("P") if image_format == "GIF" else photo((90, 60)),
                image_format,
            ),
        )
    the_event = event("one.jpg", "two.png", "three.gif")

    first = handler.lambda_handler(the_event, None)
    keys_after_first = processed_keys(s3)
    second = handler.lambda_handler(the_event, None)

    assert [entry["key"] for entry in first["processed"]] == ["one.jpg", "two.png", "three.gif"]
    assert first["rejected"] == [] == second["rejected"]
    assert (
        keys_after_first
        == processed_keys(s3)
        == sorted(outputs_of("one") + outputs_of("two") + outputs_of("three"))
    )
    strip = [{k: v for k, v in entry.items() if k != "duration_ms"} for entry in first["processed"]]
    again = [
        {k: v for k, v in entry.items() if k != "duration_ms"} for entry in second["processed"]
    ]
    assert strip == again
    json.dumps(first)  # the summary is JSON-serialisable


def test_test_event_and_empty_records_are_ignored(s3, handler):
    test_event = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2024-01-01T00:00:00.000Z",
        "Bucket": UPLOADS,
        "RequestId": "R",
        "HostId": "H",
    }
    nothing = {
        "processed": [],
        "rejected": [],
        "skipped": [],
        "deleted": [],
        "batchItemFailures": [],
    }
    assert handler.lambda_handler(test_event, None) == nothing
    assert handler.lambda_handler({"Records": []}, None) == nothing
    assert processed_keys(s3) == []


def test_an_event_for_a_version_no_longer_current_is_skipped(s3, handler):
    s3.put_bucket_versioning(Bucket=UPLOADS, VersioningConfiguration={"Status": "Enabled"})
    first = upload(s3, "v.png", encode(photo((120, 60)), "PNG"))
    second = upload(s3, "v.png", encode(photo((60, 120)), "PNG"))

    stale = handler.lambda_handler({"Records": [record("v.png", version_id=first)]}, None)

    [skipped] = stale["skipped"]
    assert (skipped["version_id"], stale["processed"]) == (first, [])
    assert second in skipped["reason"]
    assert processed_keys(s3) == []

    current = handler.lambda_handler({"Records": [record("v.png", version_id=second)]}, None)

    [entry] = current["processed"]
    assert entry["version_id"] == second
    assert (entry["source"]["width"], entry["source"]["height"]) == (60, 120)
    image, head = read_output(s3, "v_converted.png")
    assert image.size == (60, 120)
    assert head["Metadata"]["source-version-id"] == second


def test_bad_records_processed_bucket_and_missing_objects_are_rejected(s3, handler):
    upload(s3, "good.jpg", encode(photo((80, 60)), "JPEG"))
    s3.put_object(Bucket=PROCESSED, Key="loop.jpg", Body=encode(photo((80, 60)), "JPEG"))
    removed = record("gone.jpg")
    removed["eventName"] = "ObjectRemoved:Delete"
    the_event = {
        "Records": [
            record("missing.jpg"),
            record("loop.jpg", bucket=PROCESSED),
            {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": UPLOADS}}},
            removed,
            record("good.jpg"),
        ]
    }

    result = handler.lambda_handler(the_event, None)

    assert [entry["key"] for entry in result["processed"]] == ["good.jpg"]
    reasons = {entry["key"]: entry["reason"] for entry in result["rejected"]}
    assert "not found" in reasons["missing.jpg"] or "unavailable" in reasons["missing.jpg"]
    assert "processed bucket" in reasons["loop.jpg"]
    assert "does not name" in reasons[None]
    [deleted] = result["deleted"]
    assert (deleted["key"], list(deleted["removed"])) == ("gone.jpg", outputs_of("gone"))
    assert processed_keys(s3) == sorted([*outputs_of("good"), "loop.jpg"])


def test_broken_and_hostile_uploads_are_rejected_among_good_ones(s3, load_handler, caplog):
    # Registered on the default session before the handler creates its client from it, so the
    # handler's client carries the hook; parameters are built into a request after this event.
    gets: list[str] = []
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register(
        "before-parameter-build.s3.GetObject", lambda params, **_: gets.append(params["Key"])
    )
    handler = load_handler(MAX_INPUT_BYTES="400000", MAX_PIXELS="4000000")
    good = encode(photo((300, 200)), "JPEG")
    noisy = Image.effect_noise((400, 400), 100).convert("RGB")
    uploads: dict[str, bytes] = {
        "ok-1.jpg": good,
        "truncated.jpg": good[: len(good) // 2],
        "empty.jpg": b"",
        "text.jpg": b"this is not an image at all\n" * 10,
        "eps.jpg": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
        "ppm.png": encode(photo((20, 20)), "PPM"),
        "ico.png": encode(photo((32, 32)), "ICO"),
        "oversized.png": encode(noisy, "PNG", compress_level=0),
        "too-many-pixels.png": encode(Image.new("L", (2500, 2000)), "PNG"),
        # Within MAX_PIXELS opaque, over it once scaled for the memory transparency needs.
        "too-many-alpha-pixels.png": encode(Image.new("RGBA", (1800, 1500)), "PNG"),
        "bomb.png": png_header_only(60000, 60000),
        "ok-2.png": encode(photo((120, 80), "RGBA"), "PNG"),
    }
    for key, data in uploads.items():
        upload(s3, key, data)

    with caplog.at_level(logging.INFO, logger="image_pipeline"):
        result = handler.lambda_handler(event(*uploads), None)

    assert [entry["key"] for entry in result["processed"]] == ["ok-1.jpg", "ok-2.png"]
    reasons = {entry["key"]: entry["reason"] for entry in result["rejected"]}
    assert set(reasons) == set(uploads) - {"ok-1.jpg", "ok-2.png"}
    assert "truncated" in reasons["truncated.jpg"]
    assert reasons["empty.jpg"] == "empty object"
    for key in ("text.jpg", "eps.jpg", "ppm.png", "ico.png"):
        assert reasons[key].startswith("not a supported image"), (key, reasons[key])
    assert "MAX_INPUT_BYTES" in reasons["oversized.png"]
    assert "oversized.png" not in gets  # refused from its HEAD, never downloaded
    assert {"ok-1.jpg", "ok-2.png", "truncated.jpg"} <= set(gets)  # the hook does see downloads
    assert "MAX_PIXELS" in reasons["too-many-pixels.png"]
    assert "with transparency exceeds 1920000" in reasons["too-many-alpha-pixels.png"]
    assert "too large" in reasons["bomb.png"]
    assert processed_keys(s3) == sorted(outputs_of("ok-1") + outputs_of("ok-2"))
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert sorted(r.key for r in errors) == sorted(reasons)
    assert all(r.reason == reasons[r.key] for r in errors)
    [ok] = [
        r
        for r in caplog.records
        if r.levelno == logging.INFO and getattr(r, "key", "") == "ok-1.jpg"
    ]
    assert ok.source["width"] == 300 and len(ok.outputs) == 5 and ok.duration_ms >= 0
    assert all({"key", "bytes"} <= set(output) for output in ok.outputs)


def test_no_partial_outputs_when_a_variant_cannot_be_rendered(s3, load_handler, monkeypatch):
    variants = [{"suffix": "a", "format": "PNG"}, {"suffix": "b", "format": "AVIF"}]
    handler = load_handler(VARIANTS=json.dumps(variants))
    encoders = sys.modules[
        "function.encoders"
    ]  # the module the freshly loaded handler renders with
    monkeypatch.setitem(encoders.ENCODER_OPTIONS, "AVIF", {"codec": "no-such-codec"})
    upload(s3, "x.png", encode(photo((50, 40)), "PNG"))

    result = handler.lambda_handler(event("x.png"), None)

    [rejected] = result["rejected"]
    assert rejected["key"] == "x.png" and "cannot render" in rejected["reason"]
    assert processed_keys(s3) == []


def s3_error(code: str, status: int):
    def respond(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = {
            "Error": {"Code": code, "Message": code},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse("https://s3.amazonaws.com", status, {}, None), body

    return respond


@pytest.mark.parametrize(
    ("operation", "code", "status"),
    [
        ("PutObject", "SlowDown", 503),
        ("GetObject", "InternalError", 500),
        ("HeadObject", "403", 403),
        ("PutObject", "AccessDenied", 403),
    ],
)
def test_transient_s3_errors_raise(s3, load_handler, operation, code, status):
    upload(s3, "t.jpg", encode(photo((80, 60)), "JPEG"))
    boto3.DEFAULT_SESSION.events.register(f"before-call.s3.{operation}", s3_error(code, status))
    handler = load_handler()

    with pytest.raises(ClientError) as raised:
        handler.lambda_handler(event("t.jpg"), None)

    assert raised.value.response["Error"]["Code"] == code


class EmptyBody:
    """The raw body of an HTTP response without one (what S3 sends for a HEAD)."""

    def stream(self, **_: Any) -> Any:
        return iter(())


def bare_status(status: int):
    """A before-send hook answering with ``status`` and no body, so botocore's own parser turns
    it into the error (its code is then the bare status, as for every real HEAD error)."""

    def respond(**_: Any) -> AWSResponse:
        return AWSResponse("https://s3.amazonaws.com", status, {}, EmptyBody())

    return respond


@pytest.mark.parametrize("status", [400, 403, 405, 409])
def test_head_errors_other_than_404_raise_for_a_retry(s3, load_handler, status):
    upload(s3, "h.jpg", encode(photo((80, 60)), "JPEG"))
    boto3.DEFAULT_SESSION.events.register("before-send.s3.HeadObject", bare_status(status))
    handler = load_handler()

    with pytest.raises(ClientError) as raised:
        handler.lambda_handler(event("h.jpg"), None)

    assert raised.value.response["Error"]["Code"] == str(status)
    assert processed_keys(s3) == []


def test_head_404_rejects_as_gone(s3, load_handler):
    upload(s3, "h.jpg", encode(photo((80, 60)), "JPEG"))
    boto3.DEFAULT_SESSION.events.register("before-send.s3.HeadObject", bare_status(404))
    handler = load_handler()

    result = handler.lambda_handler(event("h.jpg"), None)

    [rejected] = result["rejected"]
    assert rejected["reason"] == "source object not found (404)"


def test_get_invalid_argument_raises_for_a_retry(s3, load_handler):
    upload(s3, "a.jpg", encode(photo((80, 60)), "JPEG"))
    boto3.DEFAULT_SESSION.events.register(
        "before-call.s3.GetObject", s3_error("InvalidArgument", 400)
    )
    handler = load_handler()

    with pytest.raises(ClientError) as raised:
        handler.lambda_handler(event("a.jpg"), None)

    assert raised.value.response["Error"]["Code"] == "InvalidArgument"


def test_uploads_gone_between_head_and_get_are_rejected(s3, load_handler):
    """The version read is the one current at the HEAD, so a version deleted between the HEAD
    and the GET is moto's own NoSuchVersion, whether the event named it or not."""
    s3.put_bucket_versioning(Bucket=UPLOADS, VersioningConfiguration={"Status": "Enabled"})
    upload(s3, "key.jpg", encode(photo((80, 60)), "JPEG"))
    version = upload(s3, "version.jpg", encode(photo((80, 60)), "JPEG"))

    def delete_before_get(params: dict[str, Any], **_: Any) -> None:
        version_id = {"VersionId": params["VersionId"]} if "VersionId" in params else {}
        s3.delete_object(Bucket=UPLOADS, Key=params["Key"], **version_id)

    boto3.DEFAULT_SESSION.events.register("before-parameter-build.s3.GetObject", delete_before_get)
    handler = load_handler()
    the_event = {"Records": [record("key.jpg"), record("version.jpg", version_id=version)]}

    result = handler.lambda_handler(the_event, None)

    reasons = {entry["key"]: entry["reason"] for entry in result["rejected"]}
    assert reasons == {
        "key.jpg": "source object version not found (NoSuchVersion)",
        "version.jpg": "source object version not found (NoSuchVersion)",
    }
    assert processed_keys(s3) == []


def test_archived_uploads_are_rejected_naming_the_restore(s3, handler):
    """HEAD answers for an object in Glacier; its GET is moto's real 403 InvalidObjectState."""
    s3.put_object(
        Bucket=UPLOADS, Key="cold.jpg", Body=encode(photo((80, 60)), "JPEG"), StorageClass="GLACIER"
    )

    result = handler.lambda_handler(event("cold.jpg"), None)

    [rejected] = result["rejected"]
    assert rejected["reason"] == (
        "source object is archived: restore it before it can be read (InvalidObjectState)"
    )


def test_network_errors_raise(s3, load_handler):
    upload(s3, "n.jpg", encode(photo((80, 60)), "JPEG"))

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://s3.amazonaws.com")

    boto3.DEFAULT_SESSION.events.register("before-call.s3.GetObject", unreachable)
    handler = load_handler()

    with pytest.raises(EndpointConnectionError):
        handler.lambda_handler(event("n.jpg"), None)


def test_missing_destination_bucket_raises(s3, load_handler):
    upload(s3, "d.jpg", encode(photo((80, 60)), "JPEG"))
    handler = load_handler(PROCESSED_BUCKET="no-such-processed-bucket")

    with pytest.raises(ClientError) as raised:
        handler.lambda_handler(event("d.jpg"), None)

    assert raised.value.response["Error"]["Code"] == "NoSuchBucket"


def test_one_head_of_the_upload_comes_before_its_one_get(s3, load_handler):
    # The HEAD that finds the version current also gives its size: no second HEAD before the
    # GET (the HEADs after it are the re-checks around the manifest write).
    calls: list[tuple[str, str | None]] = []
    boto3.setup_default_session()
    for operation in ("HeadObject", "GetObject"):
        boto3.DEFAULT_SESSION.events.register(
            f"before-parameter-build.s3.{operation}",
            lambda params, model, **_: (
                calls.append((model.name, params.get("VersionId")))
                if params["Bucket"] == UPLOADS
                else None
            ),
        )
    handler = load_handler()
    version = upload(s3, "one.jpg", encode(photo((120, 80)), "JPEG"))

    [entry] = handler.lambda_handler(event("one.jpg"), None)["processed"]

    assert entry["key"] == "one.jpg"
    assert [name for name, _ in calls].count("GetObject") == 1
    assert calls[:2] == [("HeadObject", None), ("GetObject", version)]
