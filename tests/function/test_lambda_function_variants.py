"""The default and configured variants: names, formats, sizes, quality, S3 object properties."""

from __future__ import annotations

import io
import json
from urllib.parse import unquote

import pytest
from PIL import Image

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


def reference_qtables(quality: int) -> dict[int, list[int]]:
    """The quantization tables Pillow writes for ``quality`` (what the outputs must carry)."""
    image = Image.open(io.BytesIO(encode(Image.new("RGB", (16, 16)), "JPEG", quality=quality)))
    return {index: list(table) for index, table in image.quantization.items()}


def qtables(image: Image.Image) -> dict[int, list[int]]:
    return {index: list(table) for index, table in image.quantization.items()}


def test_default_variants_formats_sizes_types_and_quality(s3, handler):
    upload(s3, "photos/beach.jpg", encode(photo((640, 400)), "JPEG", quality=95))

    result = handler.lambda_handler(event("photos/beach.jpg"), None)

    assert result["rejected"] == []
    [entry] = result["processed"]
    assert entry["source"] == {
        "bytes": s3.head_object(Bucket=UPLOADS, Key="photos/beach.jpg")["ContentLength"],
        "width": 640,
        "height": 400,
        "format": "JPEG",
    }
    expected = {
        "photos/beach_compressed.jpg": ("JPEG", "image/jpeg", (640, 400)),
        "photos/beach_low_quality.jpg": ("JPEG", "image/jpeg", (640, 400)),
        "photos/beach_converted.webp": ("WEBP", "image/webp", (640, 400)),
        "photos/beach_converted.png": ("PNG", "image/png", (640, 400)),
        "photos/beach_thumbnail.jpg": ("JPEG", "image/jpeg", (150, 94)),
    }
    assert [output["key"] for output in entry["outputs"]] == list(expected)
    assert processed_keys(s3) == sorted([*expected, "photos/beach_manifest.json"])
    for output in entry["outputs"]:
        image_format, content_type, size = expected[output["key"]]
        image, head = read_output(s3, output["key"])
        assert (image.format, image.size) == (image_format, size)
        assert head["ContentType"] == content_type == output["content_type"]
        assert head["ContentLength"] == output["bytes"]
        assert (output["width"], output["height"], output["format"]) == (*size, image_format)
        assert "max-age" in head["CacheControl"]
        assert head["Metadata"]["source-bucket"] == UPLOADS
        assert unquote(head["Metadata"]["source-key"]) == "photos/beach.jpg"

    compressed, _ = read_output(s3, "photos/beach_compressed.jpg")
    low, _ = read_output(s3, "photos/beach_low_quality.jpg")
    thumbnail, _ = read_output(s3, "photos/beach_thumbnail.jpg")
    assert qtables(compressed) == reference_qtables(85) == qtables(thumbnail)
    assert qtables(low) == reference_qtables(50)
    assert qtables(low) != qtables(compressed)
    webp = s3.get_object(Bucket=PROCESSED, Key="photos/beach_converted.webp")["Body"].read()
    assert b"VP8 " in webp[:64]  # lossy WebP, not VP8L


@pytest.mark.parametrize(
    ("size", "thumbnail"),
    [
        ((4000, 3000), (150, 112)),
        ((300, 1200), (38, 150)),
        ((120, 90), (120, 90)),
        ((1, 1), (1, 1)),
    ],
)
def test_thumbnail_fits_150_keeps_aspect_and_never_upscales(s3, handler, size, thumbnail):
    upload(s3, "t.png", encode(photo(size), "PNG", compress_level=1))

    [entry] = handler.lambda_handler(event("t.png"), None)["processed"]

    sizes = {output["key"]: (output["width"], output["height"]) for output in entry["outputs"]}
    assert sizes["t_thumbnail.jpg"] == thumbnail
    assert sizes["t_compressed.jpg"] == size
    assert read_output(s3, "t_thumbnail.jpg")[0].size == thumbnail


def test_thumbnail_pixels_come_from_the_image(s3, handler):
    source = photo((800, 500))
    upload(s3, "p.jpg", encode(source, "JPEG", quality=95))

    handler.lambda_handler(event("p.jpg"), None)

    thumbnail, _ = read_output(s3, "p_thumbnail.jpg")
    expected = source.resize(thumbnail.size, Image.Resampling.LANCZOS)
    difference = [
        abs(a - b)
        for pa, pb in zip(
            thumbnail.get_flattened_data(), expected.get_flattened_data(), strict=True
        )
        for a, b in zip(pa, pb, strict=True)
    ]
    assert sum(difference) / len(difference) < 12


def test_configured_variants_with_cover_avif_and_jpeg_draft_decode(s3, load_handler):
    variants = [
        {
            "suffix": "square",
            "format": "AVIF",
            "quality": 60,
            "max_width": 200,
            "max_height": 200,
            "fit": "cover",
        },
        {"suffix": "small", "format": "webp", "max_width": 320},
        {"suffix": "tiny", "format": "PNG", "max_height": 40},
    ]
    handler = load_handler(VARIANTS=json.dumps(variants))
    # Left half red, right half blue: a centred square crop keeps both, in that order.
    source = Image.new("RGB", (3000, 1000), (230, 20, 20))
    source.paste((20, 20, 230), (1500, 0, 3000, 1000))
    upload(s3, "wide.jpg", encode(source, "JPEG", quality=95))

    [entry] = handler.lambda_handler(event("wide.jpg"), None)["processed"]

    assert [(o["key"], o["width"], o["height"], o["content_type"]) for o in entry["outputs"]] == [
        ("wide_square.avif", 200, 200, "image/avif"),
        ("wide_small.webp", 320, 107, "image/webp"),
        ("wide_tiny.png", 120, 40, "image/png"),
    ]
    assert entry["source"]["width"] == 3000  # the source size, not the reduced decode
    square, head = read_output(s3, "wide_square.avif")
    assert square.format == "AVIF" and head["ContentType"] == "image/avif"
    left, right = (
        square.convert("RGB").getpixel((20, 100)),
        square.convert("RGB").getpixel((180, 100)),
    )
    assert left[0] > 180 and left[2] < 80
    assert right[2] > 180 and right[0] < 80


def test_cover_smaller_than_bounds_crops_without_upscaling(s3, load_handler):
    variants = [
        {"suffix": "c", "format": "PNG", "max_width": 400, "max_height": 400, "fit": "cover"}
    ]
    handler = load_handler(VARIANTS=json.dumps(variants))
    upload(s3, "small.png", encode(photo((300, 100)), "PNG"))

    [entry] = handler.lambda_handler(event("small.png"), None)["processed"]

    assert (entry["outputs"][0]["width"], entry["outputs"][0]["height"]) == (100, 100)
    assert read_output(s3, "small_c.png")[0].size == (100, 100)
