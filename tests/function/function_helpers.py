"""Images, events and output readers shared by the function tests."""

from __future__ import annotations

import io
import json
import struct
from datetime import UTC, datetime
from typing import Any

import boto3
from PIL import Image, ImageCms, ImageDraw
from PIL.ExifTags import GPS, IFD, Base
from PIL.TiffImagePlugin import IFDRational

from function.s3_event import Sequencer, object_created_event

UPLOADS = "image-uploads"
PROCESSED = "image-processed"
DEFAULT_SUFFIXES = (
    ("compressed", "jpg"),
    ("low_quality", "jpg"),
    ("converted", "webp"),
    ("converted", "png"),
    ("thumbnail", "jpg"),
)
QUADRANTS = {
    "top_left": (220, 30, 30),
    "top_right": (30, 200, 30),
    "bottom_left": (30, 30, 220),
    "bottom_right": (240, 240, 240),
}


def encode(image: Image.Image, image_format: str, **options: Any) -> bytes:
    """``image`` saved as ``image_format`` into bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def photo(size: tuple[int, int] = (640, 400), mode: str = "RGB") -> Image.Image:
    """A photo-like test image: gradients plus noise, converted to ``mode``."""
    width, height = size
    red = Image.linear_gradient("L").resize(size)
    green = Image.radial_gradient("L").resize(size)
    noise = Image.effect_noise(size, 40)
    image = Image.merge("RGB", (red, green, noise))
    ImageDraw.Draw(image).ellipse((width // 4, height // 4, width // 2, height // 2), fill="orange")
    return image.convert(mode)


def quadrants(size: tuple[int, int]) -> Image.Image:
    """An upright image in four flat colours, to check orientation by pixels."""
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2 - 1, height // 2 - 1), fill=QUADRANTS["top_left"])
    draw.rectangle((width // 2, 0, width - 1, height // 2 - 1), fill=QUADRANTS["top_right"])
    draw.rectangle((0, height // 2, width // 2 - 1, height - 1), fill=QUADRANTS["bottom_left"])
    draw.rectangle((width // 2, height // 2, width - 1, height - 1), fill=QUADRANTS["bottom_right"])
    return image


def quadrant_colours(image: Image.Image) -> dict[str, tuple[int, ...]]:
    """The colour at the centre of each quadrant of ``image`` (as RGB)."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    points = {
        "top_left": (width // 4, height // 4),
        "top_right": (3 * width // 4, height // 4),
        "bottom_left": (width // 4, 3 * height // 4),
        "bottom_right": (3 * width // 4, 3 * height // 4),
    }
    return {name: rgb.getpixel(point) for name, point in points.items()}


def close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 24) -> bool:
    """Whether two colours match channel by channel within ``tolerance``."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def record(key: str, bucket: str = UPLOADS, version_id: str | None = None) -> dict[str, Any]:
    """An S3 ObjectCreated record as S3 sends it (key URL-encoded with ``+`` for spaces)."""
    (built,) = object_created_event(
        bucket=bucket,
        key=key,
        size=1,
        etag="0",
        version_id=version_id,
        sequencer=Sequencer().next(),
        event_time=datetime.now(UTC),
        region="us-east-1",
    )["Records"]
    return built


def event(*keys: str) -> dict[str, Any]:
    """An event with one record per key in the upload bucket."""
    return {"Records": [record(key) for key in keys]}


def upload(s3: Any, key: str, data: bytes) -> str | None:
    """Put ``data`` into the upload bucket; returns the version id (None when unversioned)."""
    return s3.put_object(Bucket=UPLOADS, Key=key, Body=data).get("VersionId")


def read_output(s3: Any, key: str) -> tuple[Image.Image, dict[str, Any]]:
    """An output from the processed bucket, opened with Pillow, and its HEAD response."""
    body = s3.get_object(Bucket=PROCESSED, Key=key)["Body"].read()
    head = s3.head_object(Bucket=PROCESSED, Key=key)
    image = Image.open(io.BytesIO(body))
    image.load()
    return image, head


def processed_keys(s3: Any) -> list[str]:
    """Every key in the processed bucket, sorted."""
    response = s3.list_objects_v2(Bucket=PROCESSED)
    return sorted(item["Key"] for item in response.get("Contents", []))


def linear_grey_profile() -> bytes:
    """A minimal ICC v2 greyscale display profile with a linear tone curve (gamma 1.0), built
    from the ICC specification: mid-grey 128 in it is about 188 in sRGB."""

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    d50 = s15(0.9642) + s15(1.0) + s15(0.8249)
    text = b"linear grey\x00"
    tags = [
        (b"desc", b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(12 + 67 - 1)),
        (b"wtpt", b"XYZ " + bytes(4) + d50),
        (b"kTRC", b"curv" + bytes(4) + struct.pack(">IH", 1, 256) + bytes(2)),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        data += bytes(-(offset + len(data)) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (
        struct.pack(">I", offset + len(data))
        + bytes(4)
        + struct.pack(">I", 0x02100000)
        + b"mntrGRAYXYZ "
        + bytes(12)
        + b"acsp"
        + bytes(28)
        + d50
        + bytes(48)
    )
    return header + struct.pack(">I", len(tags)) + table + data


def exif_photo(size: tuple[int, int] = (40, 20), orientation: int = 6) -> bytes:
    """A JPEG with the EXIF of a camera photo (capture time with offset, camera, lens, exposure,
    GPS coordinates, ``orientation``) and an embedded sRGB profile."""
    exif = Image.Exif()
    exif[Base.Make] = "Canon"
    exif[Base.Model] = "EOS R5"
    exif[Base.Orientation] = orientation
    details = exif.get_ifd(IFD.Exif)
    details[Base.DateTimeOriginal] = "2024:06:01 14:30:05"
    details[Base.OffsetTimeOriginal] = "+02:00"
    details[Base.LensModel] = "RF24-105mm F4 L IS USM"
    details[Base.FNumber] = IFDRational(28, 10)
    details[Base.ExposureTime] = IFDRational(1, 250)
    details[Base.ISOSpeedRatings] = 400
    details[Base.FocalLength] = IFDRational(50, 1)
    location = exif.get_ifd(IFD.GPSInfo)
    location[GPS.GPSLatitudeRef] = "N"
    location[GPS.GPSLatitude] = (IFDRational(48, 1), IFDRational(51, 1), IFDRational(24, 1))
    location[GPS.GPSLongitudeRef] = "E"
    location[GPS.GPSLongitude] = (IFDRational(2, 1), IFDRational(21, 1), IFDRational(3, 1))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(photo(size), "JPEG", exif=exif, icc_profile=srgb)


def topic_with_queue(filter_policy: dict[str, Any] | None = None) -> tuple[str, str]:
    """An SNS topic with an SQS queue subscribed to it (under moto): ``(topic_arn, queue_url)``.
    With ``filter_policy`` the subscription only receives the messages it matches."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic_arn = sns.create_topic(Name="image-pipeline-notifications")["TopicArn"]
    name = f"subscriber-{len(sqs.list_queues().get('QueueUrls', []))}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    attributes = {"FilterPolicy": json.dumps(filter_policy)} if filter_policy else {}
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn["Attributes"]["QueueArn"],
        Attributes=attributes,
    )
    return topic_arn, queue_url


def received(queue_url: str) -> list[dict[str, Any]]:
    """Every notification waiting in the queue (removed from it): the JSON body, with the
    ``event`` message attribute added under ``_attribute_event``."""
    sqs = boto3.client("sqs")
    messages = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            envelope = json.loads(message["Body"])
            body = json.loads(envelope["Message"])
            body["_attribute_event"] = envelope["MessageAttributes"]["event"]["Value"]
            messages.append(body)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
