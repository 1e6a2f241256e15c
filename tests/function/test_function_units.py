"""The pure modules on their own: settings, event parsing, geometry, colour, EXIF, decoding."""

from __future__ import annotations

import io

import pytest
from colour import for_family, to_working
from decoding import InvalidImageError, decode
from function_helpers import encode, photo
from geometry import needed_decode_size, plan_resize
from metadata import exif_without_location
from PIL import Image
from PIL.ExifTags import IFD, Base
from rendering import draft_planner
from s3_event import BadRecord, Upload, is_test_event, parse_records
from settings import ConfigError, default_max_input_bytes, default_max_pixels, load_settings
from variant_spec import DEFAULT_VARIANTS, VariantSpec

MIB = 1024 * 1024


def test_settings_defaults_are_sized_from_the_function_memory():
    defaults = load_settings({"PROCESSED_BUCKET": "out"})
    assert defaults.memory_mb == 1024 and defaults.variants == DEFAULT_VARIANTS
    assert defaults.max_input_bytes == 64 * MIB == default_max_input_bytes(1024)
    assert (
        defaults.max_pixels == (1024 - 128 - 64) * MIB // 28 == default_max_pixels(1024, 64 * MIB)
    )
    assert 31_000_000 < defaults.max_pixels < 31_200_000
    assert defaults.max_alpha_pixels == defaults.max_pixels * 28 // 46  # 20.3 MP with alpha
    assert not defaults.keep_exif
    bigger = load_settings({"PROCESSED_BUCKET": "out", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008"})
    assert bigger.max_pixels > 3 * defaults.max_pixels
    fewer = load_settings({"PROCESSED_BUCKET": "out", "MAX_INPUT_BYTES": str(320 * MIB)})
    assert fewer.max_pixels == (1024 - 128 - 320) * MIB // 28  # the download leaves less room
    explicit = load_settings(
        {
            "PROCESSED_BUCKET": "out",
            "MAX_PIXELS": "100",
            "MAX_INPUT_BYTES": "7",
            "KEEP_EXIF": "TRUE",
        }
    )
    assert (explicit.max_pixels, explicit.max_input_bytes, explicit.keep_exif) == (100, 7, True)
    assert explicit.max_alpha_pixels == 60  # an explicit MAX_PIXELS is scaled for alpha too


def test_settings_errors_name_the_variable():
    with pytest.raises(ConfigError, match="PROCESSED_BUCKET"):
        load_settings({"PROCESSED_BUCKET": "  "})
    with pytest.raises(ConfigError, match=r"VARIANTS: variants\[0\]\.quality"):
        load_settings(
            {"PROCESSED_BUCKET": "b", "VARIANTS": '[{"suffix":"a","format":"PNG","quality":5}]'}
        )
    with pytest.raises(ConfigError, match="MAX_PIXELS"):
        load_settings({"PROCESSED_BUCKET": "b", "MAX_PIXELS": "0"})
    with pytest.raises(ConfigError, match="AWS_LAMBDA_FUNCTION_MEMORY_SIZE=160"):
        load_settings({"PROCESSED_BUCKET": "b", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "160"})
    small = {"PROCESSED_BUCKET": "b", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "160", "MAX_PIXELS": "9"}
    assert load_settings(small).max_pixels == 9


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
                "s3": {"bucket": {"name": "up"}, "object": {"key": "y"}},
            },
            "garbage",
        ]
    }
    parsed = parse_records(event)
    assert parsed[0] == Upload("up", "a b+c/café.jpg", "v1", 10)
    assert parsed[1] == Upload("up", "x", None, None)
    assert isinstance(parsed[2], BadRecord) and parsed[2].key == "y"
    assert isinstance(parsed[3], BadRecord) and parsed[3].bucket is None
    assert is_test_event({"Event": "s3:TestEvent"}) and is_test_event(None)
    assert not is_test_event(event)
    assert isinstance(parse_records({"Records": "nope"})[0], BadRecord)


@pytest.mark.parametrize(
    ("spec", "source", "size", "box"),
    [
        (VariantSpec("t", "JPEG", max_width=150, max_height=150), (4000, 3000), (150, 112), None),
        (VariantSpec("t", "JPEG", max_width=150, max_height=150), (100, 50), (100, 50), None),
        (VariantSpec("w", "PNG", max_width=100), (400, 1000), (100, 250), None),
        (VariantSpec("h", "PNG", max_height=100), (400, 1000), (40, 100), None),
        (
            VariantSpec("c", "PNG", max_width=100, max_height=100, fit="cover"),
            (400, 200),
            (100, 100),
            (100.0, 0.0, 300.0, 200.0),
        ),
        (
            VariantSpec("c", "PNG", max_width=300, max_height=150, fit="cover"),
            (200, 200),
            (200, 100),
            (0.0, 50.0, 200.0, 150.0),
        ),
    ],
)
def test_plan_resize(spec, source, size, box):
    plan = plan_resize(spec, source, source)
    assert plan.size == size
    assert plan.box == (pytest.approx(box) if box else None)


def test_plan_resize_scales_the_box_to_a_reduced_decode_and_caps_dimensions():
    cover = VariantSpec("c", "PNG", max_width=100, max_height=100, fit="cover")
    assert plan_resize(cover, (400, 200), (100, 50)).box == pytest.approx((25, 0, 75, 50))
    full = VariantSpec("f", "WEBP")
    assert plan_resize(full, (20000, 1000), (20000, 1000), 16383).size == (16383, 819)


def test_needed_decode_size():
    thumb = VariantSpec("t", "JPEG", max_width=150, max_height=150)
    assert needed_decode_size((thumb,), (4000, 3000), 3.0) == (450, 338)
    assert needed_decode_size(DEFAULT_VARIANTS, (4000, 3000), 3.0) is None
    assert needed_decode_size((thumb,), (300, 200), 3.0) is None


def test_jpeg_is_decoded_smaller_when_every_variant_is_small():
    data = encode(photo((2400, 1600)), "JPEG")
    thumb = (VariantSpec("t", "JPEG", max_width=150, max_height=150),)
    reduced = decode(data, 10**8, draft_planner(thumb))
    full = decode(data, 10**8, draft_planner(DEFAULT_VARIANTS))
    assert reduced.source_size == full.source_size == (2400, 1600)
    assert full.image.size == (2400, 1600)
    assert reduced.image.size == (600, 400)  # libjpeg DCT scaling by 1/4, still >= 3x the output


@pytest.mark.parametrize(
    ("mode", "transparent"),
    [("RGBA", True), ("LA", True), ("P", True), ("RGB", False), ("L", False), ("P", False)],
)
def test_decode_holds_sources_with_transparency_to_the_alpha_limit(mode, transparent):
    image = Image.new(mode, (100, 80))
    options = {"transparency": 0} if mode == "P" and transparent else {}
    data = encode(image, "PNG", **options)
    assert decode(data, 8000, max_alpha_pixels=8000).source_size == (100, 80)
    if transparent:
        with pytest.raises(InvalidImageError, match="with transparency exceeds 7999"):
            decode(data, 8000, max_alpha_pixels=7999)
    else:
        assert decode(data, 8000, max_alpha_pixels=10).source_size == (100, 80)


def test_decode_limits_leave_pillows_global_threshold_alone():
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(InvalidImageError, match="MAX_PIXELS=5000"):
        decode(encode(Image.new("L", (100, 100)), "PNG"), 5000)
    assert decode(encode(Image.new("L", (10, 10)), "PNG"), 5000).source_size == (10, 10)
    assert before == Image.MAX_IMAGE_PIXELS
    with pytest.raises(InvalidImageError, match="empty"):
        decode(b"", 5000)


@pytest.mark.parametrize(
    ("image", "mode", "pixel"),
    [
        (Image.new("1", (2, 2), 1), "L", 255),
        (Image.new("I", (2, 2), 65535), "L", 255),
        (Image.new("I", (2, 2), 200), "L", 200),
        (Image.new("F", (2, 2), 0.5), "L", 127),
        (Image.new("RGBX", (2, 2), (1, 2, 3, 0)), "RGB", (1, 2, 3)),
        (Image.new("YCbCr", (2, 2), (255, 128, 128)), "RGB", (255, 255, 255)),
    ],
)
def test_to_working_modes(image, mode, pixel):
    working = to_working(image)
    assert working.image.mode == mode
    assert working.image.getpixel((0, 0)) == pixel


def test_to_working_applies_trns_transparency_and_clears_info():
    grey = Image.new("L", (2, 1), 10)
    grey.putpixel((1, 0), 200)
    grey.info.update(transparency=10, comment=b"secret", exif=b"Exif\x00\x00")
    working = to_working(grey)
    assert working.image.mode == "LA"
    assert working.image.getpixel((0, 0)) == (10, 0) and working.image.getpixel((1, 0)) == (
        200,
        255,
    )
    assert working.image.info == {}
    opaque = for_family(working, "opaque").image
    assert opaque.mode == "L" and opaque.getpixel((0, 0)) == 255
    colour = for_family(working, "colour").image
    assert colour.mode == "RGBA" and colour.getpixel((1, 0)) == (200, 200, 200, 255)


def test_an_alpha_channel_opaque_everywhere_is_dropped():
    assert to_working(Image.new("RGBA", (4, 4), (1, 2, 3, 255))).image.mode == "RGB"
    assert to_working(Image.new("LA", (4, 4), (9, 255))).image.mode == "L"
    translucent = Image.new("RGBA", (4, 4), (1, 2, 3, 255))
    translucent.putpixel((3, 3), (1, 2, 3, 254))
    assert to_working(translucent).image.mode == "RGBA"


def test_exif_without_location_keeps_camera_and_date_only():
    image = Image.new("RGB", (2, 2))
    exif = image.getexif()
    exif[Base.Make] = "Cam"
    exif[Base.Orientation] = 6
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = "2020:01:01 00:00:00"
    exif.get_ifd(IFD.GPSInfo)[2] = (1.0, 2.0, 3.0)
    reloaded = Image.open(io.BytesIO(encode(image, "JPEG", exif=exif.tobytes())))

    kept = Image.Exif()
    kept.load(exif_without_location(reloaded))

    assert kept[Base.Make] == "Cam"
    assert kept.get_ifd(IFD.Exif)[Base.DateTimeOriginal] == "2020:01:01 00:00:00"
    assert IFD.GPSInfo not in kept and Base.Orientation not in kept
    assert exif_without_location(Image.new("RGB", (1, 1))) is None
