"""Image correctness: orientation, transparency, colour modes, ICC profiles, EXIF and GPS."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from PIL import Image, ImageCms
from PIL.ExifTags import GPS, IFD, Base

from tests.function.function_helpers import (
    DEFAULT_SUFFIXES,
    PROCESSED,
    QUADRANTS,
    close,
    encode,
    event,
    linear_grey_profile,
    photo,
    quadrant_colours,
    quadrants,
    read_output,
    upload,
)

UPRIGHT = (160, 100)
XMP_WITH_GPS = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="51,30.0N"/></rdf:RDF></x:xmpmeta>'
)


def stored_for_orientation(upright: Image.Image, orientation: int) -> Image.Image:
    """The pixels a camera stores for ``upright`` under EXIF ``orientation``, built from the EXIF
    definition (where the stored row 0 and column 0 are in the upright picture), not from Pillow's
    transpose table."""
    width, height = upright.size
    swapped = orientation >= 5
    stored = Image.new("RGB", (height, width) if swapped else (width, height))
    source, target = upright.load(), stored.load()
    mapping = {
        2: lambda x, y: (width - 1 - x, y),
        3: lambda x, y: (width - 1 - x, height - 1 - y),
        4: lambda x, y: (x, height - 1 - y),
        5: lambda x, y: (y, x),
        6: lambda x, y: (y, width - 1 - x),
        7: lambda x, y: (height - 1 - y, width - 1 - x),
        8: lambda x, y: (height - 1 - y, x),
    }[orientation]
    for y in range(height):
        for x in range(width):
            target[mapping(x, y)] = source[x, y]
    return stored


def with_orientation(image: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[Base.Orientation] = orientation
    return encode(image, "JPEG", quality=95, exif=exif.tobytes())


@pytest.mark.parametrize("orientation", range(2, 9))
def test_exif_orientation_is_applied_to_the_pixels(s3, handler, orientation):
    stored = stored_for_orientation(quadrants(UPRIGHT), orientation)
    upload(s3, f"o{orientation}.jpg", with_orientation(stored, orientation))

    [entry] = handler.lambda_handler(event(f"o{orientation}.jpg"), None)["processed"]

    assert (entry["source"]["width"], entry["source"]["height"]) == UPRIGHT
    for suffix, extension in DEFAULT_SUFFIXES:
        image, _ = read_output(s3, f"o{orientation}_{suffix}.{extension}")
        assert image.size == ((150, 94) if suffix == "thumbnail" else UPRIGHT)
        assert Base.Orientation not in image.getexif()
        colours = quadrant_colours(image)
        for name, expected in QUADRANTS.items():
            assert close(colours[name], expected), (suffix, name, colours[name])


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_orientation_with_reduced_jpeg_decode(s3, load_handler, orientation):
    variants = [{"suffix": "t", "format": "JPEG", "max_width": 60, "max_height": 60}]
    handler = load_handler(VARIANTS=json.dumps(variants))
    upright = quadrants((1600, 1000))
    # Pillow's own transpose here keeps the test fast; the table itself is checked above.
    method = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90}.get(
        orientation, Image.Transpose.ROTATE_270
    )
    upload(s3, "big.jpg", with_orientation(upright.transpose(method), orientation))

    [entry] = handler.lambda_handler(event("big.jpg"), None)["processed"]

    assert (entry["source"]["width"], entry["source"]["height"]) == (1600, 1000)
    image, _ = read_output(s3, "big_t.jpg")
    assert image.size == (60, 38)
    colours = quadrant_colours(image)
    assert all(close(colours[name], QUADRANTS[name], 30) for name in QUADRANTS), colours


def half_transparent(mode: str) -> Image.Image:
    """Left half fully transparent black, right half opaque colour, a half-alpha stripe."""
    image = Image.new("RGBA", (64, 32), (0, 0, 0, 0))
    image.paste((200, 40, 40, 255), (32, 0, 64, 32))
    image.paste((0, 0, 0, 128), (0, 28, 64, 32))
    return image.convert(mode) if mode != "RGBA" else image


def palette_with_transparency() -> Image.Image:
    image = Image.new("P", (64, 32), 0)
    image.putpalette([0, 0, 0, 200, 40, 40] + [0, 0, 0] * 254)
    image.paste(1, (32, 0, 64, 32))
    image.info["transparency"] = 0
    return image


@pytest.mark.parametrize(
    ("name", "data", "opaque"),
    [
        ("rgba.png", encode(half_transparent("RGBA"), "PNG"), (200, 40, 40)),
        ("la.png", encode(half_transparent("LA"), "PNG"), None),
        ("p.gif", encode(palette_with_transparency(), "GIF", transparency=0), (200, 40, 40)),
        ("p.png", encode(palette_with_transparency(), "PNG"), (200, 40, 40)),
        ("rgba.webp", encode(half_transparent("RGBA"), "WEBP", lossless=True), (200, 40, 40)),
    ],
)
def test_transparency_white_in_jpeg_and_kept_in_png_and_webp(s3, handler, name, data, opaque):
    upload(s3, name, data)

    handler.lambda_handler(event(name), None)

    base = name.rsplit(".", 1)[0]
    jpeg, _ = read_output(s3, f"{base}_compressed.jpg")
    left, right = jpeg.convert("RGB").getpixel((8, 8)), jpeg.convert("RGB").getpixel((56, 8))
    assert close(left, (255, 255, 255), 6), left  # transparent black becomes white, never black
    if opaque:
        assert close(right, opaque), right
    if name != "p.gif" and name != "p.png":
        half = jpeg.convert("L").getpixel((8, 30))
        assert 100 <= half <= 160, half  # 50% black over white
    for suffix in ("converted.png", "converted.webp"):
        image, _ = read_output(s3, f"{base}_{suffix}")
        assert image.has_transparency_data
        rgba = image.convert("RGBA")
        assert rgba.getpixel((8, 8))[3] == 0
        assert rgba.getpixel((56, 8))[3] == 255


def test_cmyk_jpeg_and_tiff_become_rgb_with_the_right_colours(s3, handler):
    cmyk = Image.new("CMYK", (64, 32), (0, 255, 255, 0))  # red
    cmyk.paste((255, 255, 0, 0), (32, 0, 64, 32))  # blue
    upload(s3, "cmyk_jpeg.jpg", encode(cmyk, "JPEG", quality=95))
    upload(s3, "cmyk_tiff.tif", encode(cmyk, "TIFF"))

    result = handler.lambda_handler(event("cmyk_jpeg.jpg", "cmyk_tiff.tif"), None)

    assert [entry["source"]["format"] for entry in result["processed"]] == ["JPEG", "TIFF"]
    for stem in ("cmyk_jpeg", "cmyk_tiff"):
        for suffix, extension in DEFAULT_SUFFIXES:
            image, _ = read_output(s3, f"{stem}_{suffix}.{extension}")
            assert image.mode in ("RGB", "RGBA")
            rgb = image.convert("RGB")
            assert close(
                rgb.getpixel((8, 8)) if suffix != "thumbnail" else rgb.getpixel((2, 2)),
                (255, 0, 0),
                40,
            )


@pytest.mark.parametrize("image_format", ["PNG", "TIFF"])
def test_16_bit_greyscale_is_rescaled_not_clipped(s3, handler, image_format):
    row = [0] * 16 + [32768] * 16 + [65535] * 16 + [8000] * 16
    grey16 = Image.frombytes("I;16", (64, 16), struct.pack("<1024H", *(row * 16)))
    assert grey16.getpixel((24, 8)) == 32768
    name = f"grey16.{image_format.lower()}"
    upload(s3, name, encode(grey16, image_format))

    [entry] = handler.lambda_handler(event(name), None)["processed"]

    assert entry["source"]["format"] == image_format
    for suffix, extension in (("compressed", "jpg"), ("converted", "png"), ("converted", "webp")):
        image, _ = read_output(s3, f"grey16_{suffix}.{extension}")
        grey = image.convert("L")
        values = [grey.getpixel((x, 8)) for x in (8, 24, 40, 56)]
        expected = [0, 128, 255, 31]
        assert all(abs(v - e) <= 4 for v, e in zip(values, expected, strict=True)), values


def test_16_bit_rgb_png_comes_out_as_8_bit(s3, handler):
    rgb = photo((64, 32))
    # Pillow does not write 16-bit RGB PNGs, so build one from the PNG specification.
    rows = b"".join(
        b"\x00"
        + b"".join(struct.pack(">HHH", *(c * 257 for c in rgb.getpixel((x, y)))) for x in range(64))
        for y in range(32)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 32, 16, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    upload(s3, "rgb16.png", png)

    handler.lambda_handler(event("rgb16.png"), None)

    image, _ = read_output(s3, "rgb16_converted.png")
    assert image.mode == "RGB"
    assert close(image.getpixel((10, 10)), rgb.getpixel((10, 10)), 2)


def test_icc_profile_is_kept_on_every_output(s3, load_handler):
    variants = [
        {"suffix": "j", "format": "JPEG"},
        {"suffix": "w", "format": "WEBP"},
        {"suffix": "p", "format": "PNG"},
        {"suffix": "a", "format": "AVIF"},
        {"suffix": "t", "format": "JPEG", "max_width": 50},
    ]
    handler = load_handler(VARIANTS=json.dumps(variants))
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = encode(photo((120, 80)), "JPEG", quality=95, icc_profile=profile)
    upload(s3, "icc.jpg", source)

    handler.lambda_handler(event("icc.jpg"), None)

    for suffix, extension in (
        ("j", "jpg"),
        ("w", "webp"),
        ("p", "png"),
        ("a", "avif"),
        ("t", "jpg"),
    ):
        image, _ = read_output(s3, f"icc_{suffix}.{extension}")
        assert image.info.get("icc_profile") == profile, suffix
    png, _ = read_output(s3, "icc_p.png")
    # Lossless output of the decoded pixels, untouched by any colour conversion.
    assert png.tobytes() == Image.open(io.BytesIO(source)).convert("RGB").tobytes()


def test_greyscale_profile_kept_on_grey_outputs_and_converted_for_rgb_only_formats(s3, handler):
    profile = linear_grey_profile()
    upload(s3, "scan.png", encode(Image.new("L", (32, 32), 128), "PNG", icc_profile=profile))

    handler.lambda_handler(event("scan.png"), None)

    for key in ("scan_compressed.jpg", "scan_converted.png"):
        image, _ = read_output(s3, key)
        assert image.mode == "L" and image.info.get("icc_profile") == profile, key
        assert abs(image.getpixel((16, 16)) - 128) <= 1
    webp, _ = read_output(s3, "scan_converted.webp")
    assert not webp.info.get("icc_profile")  # converted to sRGB, which untagged means
    assert close(webp.convert("RGB").getpixel((16, 16)), (188, 188, 188), 3)


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[Base.Make] = "TestCam"
    exif[Base.Model] = "X1"
    exif[Base.Orientation] = 1
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = "2024:05:01 12:00:00"
    exif.get_ifd(IFD.Exif)[Base.MakerNote] = b"secret maker data"
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef] = "N"
    gps[GPS.GPSLatitude] = (51.0, 30.0, 0.0)
    gps[GPS.GPSLongitudeRef] = "W"
    gps[GPS.GPSLongitude] = (0.0, 7.0, 0.0)
    return exif


def test_exif_and_gps_are_stripped_by_default(s3, handler):
    source = encode(photo((96, 64)), "JPEG", exif=exif_with_gps().tobytes(), xmp=XMP_WITH_GPS)
    assert b"TestCam" in source and b"GPSLatitude" in source
    upload(s3, "gps.jpg", source)

    handler.lambda_handler(event("gps.jpg"), None)

    for suffix, extension in DEFAULT_SUFFIXES:
        key = f"gps_{suffix}.{extension}"
        data = s3.get_object(Bucket=PROCESSED, Key=key)["Body"].read()
        image, _ = read_output(s3, key)
        assert len(image.getexif()) == 0, key
        assert b"TestCam" not in data and b"GPSLatitude" not in data and b"xmpmeta" not in data


def test_keep_exif_keeps_camera_and_date_but_never_location(s3, load_handler):
    handler = load_handler(KEEP_EXIF="true")
    upload(s3, "keep.jpg", encode(photo((96, 64)), "JPEG", exif=exif_with_gps().tobytes()))

    handler.lambda_handler(event("keep.jpg"), None)

    for suffix, extension in DEFAULT_SUFFIXES:
        key = f"keep_{suffix}.{extension}"
        image, _ = read_output(s3, key)
        exif = image.getexif()
        assert exif.get(Base.Make) == "TestCam", key
        assert exif.get_ifd(IFD.Exif).get(Base.DateTimeOriginal) == "2024:05:01 12:00:00"
        assert Base.MakerNote not in exif.get_ifd(IFD.Exif)
        assert IFD.GPSInfo not in exif and not exif.get_ifd(IFD.GPSInfo), key
        assert Base.Orientation not in exif
        data = s3.get_object(Bucket=PROCESSED, Key=key)["Body"].read()
        assert b"secret maker data" not in data
