"""HEIC/HEIF input (function.heif through function.decoding): files made here by pillow-heif's
encoder and the real samples pillow-heif ships, decoded by the layer's pi-heif."""

from __future__ import annotations

import io
from pathlib import Path

import pi_heif
import pillow_heif
import pytest
from PIL import Image, ImageCms
from PIL.ExifTags import Base

from function.decoding import ALLOWED_FORMATS, InvalidImageError, decode
from tests.function.function_helpers import (
    DEFAULT_SUFFIXES,
    QUADRANTS,
    close,
    event,
    processed_keys,
    quadrant_colours,
    quadrants,
    read_output,
    upload,
)
from tests.function.test_colour import stored_for_orientation

SAMPLES = Path(__file__).parent / "samples" / "heif"
UPRIGHT = (240, 150)


def heic(image: Image.Image, **options: object) -> bytes:
    """``image`` encoded as HEIC by pillow-heif (x265), nearly lossless."""
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(buffer, quality=95, **options)
    return buffer.getvalue()


def test_heif_is_allowed_after_avif_and_decoded_by_pi_heif():
    assert ALLOWED_FORMATS[-2:] == ("AVIF", "HEIF")
    data = heic(Image.new("RGB", (64, 40), (200, 40, 40)))
    decoded = decode(data, 10_000)
    assert decoded.format == "HEIF"
    assert type(decoded.image).__module__ == pi_heif.as_plugin.__name__
    assert decoded.source_size == decoded.image.size == (64, 40)
    assert close(decoded.image.getpixel((10, 10)), (200, 40, 40), 8)


def test_avif_is_still_decoded_by_pillow():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), (40, 200, 40)).save(buffer, "AVIF", quality=90)
    assert decode(buffer.getvalue(), 10_000).format == "AVIF"


@pytest.mark.parametrize("orientation", range(2, 9))
def test_irot_and_imir_turn_the_pixels_upright_once(s3, handler, orientation):
    exif = Image.Exif()
    exif[Base.Orientation] = orientation
    stored = stored_for_orientation(quadrants(UPRIGHT), orientation)
    # pillow-heif writes the orientation as irot/imir boxes and keeps it in the EXIF too, as
    # iPhones do: applying both would turn the picture twice.
    data = heic(stored, exif=exif.tobytes())
    assert b"irot" in data or b"imir" in data
    upload(s3, f"o{orientation}.heic", data)

    [entry] = handler.lambda_handler(event(f"o{orientation}.heic"), None)["processed"]

    assert entry["source"]["format"] == "HEIF"
    assert (entry["source"]["width"], entry["source"]["height"]) == UPRIGHT
    for suffix, extension in DEFAULT_SUFFIXES:
        image, _ = read_output(s3, f"o{orientation}_{suffix}.{extension}")
        assert image.size == ((150, 94) if suffix == "thumbnail" else UPRIGHT)
        colours = quadrant_colours(image)
        for name, expected in QUADRANTS.items():
            assert close(colours[name], expected), (suffix, name, colours[name])


def test_alpha_is_kept_and_held_to_the_alpha_limit(s3, handler):
    image = Image.new("RGBA", (80, 60), (30, 60, 200, 255))
    image.paste((30, 60, 200, 0), (0, 0, 40, 60))
    data = heic(image)
    with pytest.raises(InvalidImageError, match="with transparency exceeds 4799"):
        decode(data, 10_000, max_alpha_pixels=4799)
    upload(s3, "alpha.heic", data)

    handler.lambda_handler(event("alpha.heic"), None)

    png, _ = read_output(s3, "alpha_converted.png")
    assert png.mode == "RGBA"
    assert png.getpixel((10, 30))[3] < 8
    assert png.getpixel((70, 30))[3] > 247
    jpeg, _ = read_output(s3, "alpha_compressed.jpg")
    assert close(jpeg.getpixel((10, 30)), (255, 255, 255), 8)  # flattened onto white


def test_ten_bit_is_scaled_to_eight_bits():
    half = (512 << 6).to_bytes(2, "little") * 3  # 10-bit 512 in the high bits of 16-bit samples
    source = pillow_heif.from_bytes("RGB;16", (32, 32), half * 32 * 32)
    buffer = io.BytesIO()
    source.save(buffer, quality=-1, chroma=444)
    decoded = decode(buffer.getvalue(), 10_000)
    assert decoded.image.info["bit_depth"] == 10
    assert decoded.image.mode == "RGB"
    assert close(decoded.image.getpixel((16, 16)), (128, 128, 128), 2)


def test_icc_profile_travels_to_the_outputs(s3, handler):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload(s3, "icc.heic", heic(Image.new("RGB", (64, 40), (90, 120, 150)), icc_profile=srgb))

    handler.lambda_handler(event("icc.heic"), None)

    for suffix, extension in DEFAULT_SUFFIXES:
        image, _ = read_output(s3, f"icc_{suffix}.{extension}")
        assert image.info.get("icc_profile") == srgb, (suffix, extension)


def test_pixel_limit_is_checked_from_the_header_before_decoding(monkeypatch):
    data = heic(Image.new("RGB", (100, 80)))

    def no_decode(self: Image.Image) -> None:
        raise AssertionError("decoded despite being over the pixel limit")

    monkeypatch.setattr(pi_heif.HeifImageFile, "load", no_decode)
    with pytest.raises(InvalidImageError, match=r"8000 pixels.*7999"):
        decode(data, 7999)


def test_byte_limit_applies_before_download(s3, load_handler):
    handler = load_handler(MAX_INPUT_BYTES="1000")
    data = heic(Image.effect_noise((200, 200), 60).convert("RGB"))
    assert len(data) > 1000
    upload(s3, "big.heic", data)

    result = handler.lambda_handler(event("big.heic"), None)

    [rejected] = result["rejected"]
    assert "exceeds MAX_INPUT_BYTES=1000" in rejected["reason"]
    assert processed_keys(s3) == []


@pytest.mark.parametrize(
    ("name", "size", "mode"),
    [
        ("RGB_10__29x100.heif", (29, 100), "RGB"),
        ("RGBA_8__29x100.heif", (29, 100), "RGBA"),
        ("L_10__29x100.heif", (29, 100), "L"),
        ("zPug_3.heic", (64, 64), "L"),
    ],
)
def test_real_samples_become_every_output(s3, handler, name, size, mode):
    upload(s3, name, (SAMPLES / name).read_bytes())

    [entry] = handler.lambda_handler(event(name), None)["processed"]

    assert (entry["source"]["format"], entry["source"]["width"], entry["source"]["height"]) == (
        "HEIF",
        *size,
    )
    stem = name.rsplit(".", 1)[0]
    png, _ = read_output(s3, f"{stem}_converted.png")
    assert (png.size, png.mode) == (size, mode)
    low, high = png.getextrema()[0] if mode != "L" else png.getextrema()
    assert high - low > 100  # real picture content, scaled to 8 bits (not clipped or blank)


def test_corrupt_real_sample_is_rejected_without_outputs(s3, handler):
    upload(s3, "corrupted.heic", (SAMPLES / "corrupted.heic").read_bytes())

    result = handler.lambda_handler(event("corrupted.heic"), None)

    [rejected] = result["rejected"]
    assert "not a supported image" in rejected["reason"]
    assert "HEIF" in rejected["reason"]
    assert processed_keys(s3) == []
