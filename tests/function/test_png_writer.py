"""The function's PNG writer: lossless for every 8-bit mode and size, a valid chunk layout read
by an independent parser and unfilter, metadata as Pillow writes it, and Pillow for other modes."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from PIL import Image, ImageCms
from PIL.ExifTags import Base

from function.encoders import ENCODER_OPTIONS
from function.encoders import encode as encode_variant
from function.png_writer import (
    CANDIDATE_FILTERS,
    DEFLATE_LEVELS,
    FILTER_TYPES,
    STRIP_ROWS,
    PngSettings,
    choose_settings,
    encode_png,
)

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}
COLOUR_TYPE = {"L": 0, "RGB": 2, "LA": 4, "RGBA": 6}
SIZES = [(1, 1), (1, 70), (70, 1), (203, 131), (5, 129), (67, 64), (130, 65)]
# Every filter at every ISA-L deflate level the writer accepts.
ALL_SETTINGS = [PngSettings(f, level) for f in FILTER_TYPES for level in DEFLATE_LEVELS]


def noise(mode: str, size: tuple[int, int], seed: int = 1) -> Image.Image:
    """Random bytes in every channel: the worst case for the filters and zlib."""
    rng = random.Random(seed)
    bands = len(Image.new(mode, (1, 1)).getbands())
    data = bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * bands))
    return Image.frombytes(mode, size, data)


def gradient(mode: str, size: tuple[int, int]) -> Image.Image:
    """Smooth diagonal gradients, a different one per channel, plus one bright pixel."""
    width, height = size
    bands = [
        Image.linear_gradient("L").resize(size),
        Image.linear_gradient("L").rotate(90).resize(size),
        Image.radial_gradient("L").resize(size),
        Image.linear_gradient("L").rotate(45).resize(size),
    ]
    image = Image.merge(mode, bands[: len(Image.new(mode, (1, 1)).getbands())])
    image.putpixel((width // 2, height // 2), (255,) * len(image.getbands()))
    return image


def read_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, checking the signature, each length and each CRC."""
    assert data[:8] == SIGNATURE
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        assert len(body) == length, f"{kind!r} is truncated"
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        offset += 12 + length
    assert offset == len(data)
    return chunks


def paeth(left: int, up: int, up_left: int) -> int:
    estimate = left + up - up_left
    d_left, d_up, d_up_left = abs(estimate - left), abs(estimate - up), abs(estimate - up_left)
    if d_left <= d_up and d_left <= d_up_left:
        return left
    return up if d_up <= d_up_left else up_left


def unfilter(raw: bytes, width: int, height: int, bpp: int) -> tuple[bytes, set[int]]:
    """The image bytes of a decompressed, non-interlaced 8-bit IDAT stream (all five filters),
    and the filter types its rows used."""
    stride = width * bpp
    assert len(raw) == height * (stride + 1)
    previous = bytearray(stride)
    out = bytearray()
    used = set()
    for y in range(height):
        kind = raw[y * (stride + 1)]
        used.add(kind)
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            up = previous[x]
            up_left = previous[x - bpp] if x >= bpp else 0
            predictor = {
                0: 0,
                1: left,
                2: up,
                3: (left + up) // 2,
                4: paeth(left, up, up_left),
            }[kind]
            line[x] = (line[x] + predictor) & 0xFF
        out += line
        previous = line
    return bytes(out), used


def test_chunk_layout_and_pixels_by_an_independent_reader():
    for mode, colour_type in COLOUR_TYPE.items():
        for settings in ALL_SETTINGS:
            image = gradient(mode, (37, 2 * STRIP_ROWS + 3))  # three strips, the last short
            chunks = read_chunks(encode_png(image, settings=settings))
            kinds = [kind for kind, _ in chunks]
            assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and chunks[-1][1] == b""
            assert set(kinds[1:-1]) == {b"IDAT"}
            ihdr = struct.unpack(">IIBBBBB", chunks[0][1])
            assert ihdr == (37, 2 * STRIP_ROWS + 3, 8, colour_type, 0, 0, 0)
            raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
            pixels, used = unfilter(raw, *image.size, CHANNELS[colour_type])
            assert pixels == image.tobytes()
            assert used == {{"sub": 1, "up": 2, "average": 3}[settings.row_filter]}


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("content", [noise, gradient])
def test_lossless_round_trip_through_pillow(mode, size, content):
    image = content(mode, size)
    for settings in [None, *ALL_SETTINGS]:
        with Image.open(io.BytesIO(encode_png(image, settings=settings))) as back:
            back.load()
            assert (back.format, back.mode, back.size) == ("PNG", mode, size)
            assert back.tobytes() == image.tobytes()


def test_choice_follows_the_image_structure():
    width, height = 300, 400
    rng = random.Random(7)
    # Every row the same random bytes: Up leaves only zeros below the first row.
    row = bytes(rng.getrandbits(8) for _ in range(width * 3))
    columns = Image.frombytes("RGB", (width, height), row * height)
    # Every row a ramp with its own start and step: Sub leaves one value per row, Up a ramp.
    ramps = b"".join(
        bytes((start + step * x) % 256 for x in range(width))
        for start, step in ((rng.randrange(256), rng.randrange(1, 40)) for _ in range(height))
    )
    rows = Image.frombytes("L", (width, height), ramps)
    assert choose_settings(columns).row_filter == "up"
    assert choose_settings(rows).row_filter == "sub"
    for image in (columns, rows):
        chosen = len(encode_png(image))
        assert chosen == min(
            len(encode_png(image, settings=PngSettings(f))) for f in CANDIDATE_FILTERS
        )


def test_unknown_filter_or_level_is_refused():
    with pytest.raises(ValueError, match="paeth"):
        PngSettings("paeth")
    with pytest.raises(ValueError, match="level 4"):
        PngSettings("up", 4)


def test_default_settings_are_isal_level_1_with_the_chosen_filter():
    image = gradient("RGB", (90, 3 * STRIP_ROWS))
    chosen = choose_settings(image)
    assert chosen.level == 1
    assert encode_png(image) == encode_png(image, settings=chosen)
    others = {encode_png(image, settings=PngSettings(chosen.row_filter, lv)) for lv in (0, 3)}
    assert encode_png(image) not in others  # the level is used, not ignored


def test_icc_profile_kept_byte_for_byte_as_pillow_writes_it():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = gradient("RGB", (40, 30))
    data = encode_png(image, icc_profile=profile)
    with Image.open(io.BytesIO(data)) as back:
        assert back.info["icc_profile"] == profile
        assert back.tobytes() == image.tobytes()
    pillow = io.BytesIO()
    image.save(pillow, "PNG", icc_profile=profile)
    ours = dict(read_chunks(data))
    assert ours[b"iCCP"] == dict(read_chunks(pillow.getvalue()))[b"iCCP"]
    assert ours[b"iCCP"].startswith(b"ICC Profile\0\0")
    assert b"sRGB" not in ours


def test_exif_round_trip_as_pillow_writes_it():
    exif = Image.Exif()
    exif[Base.Make] = "Camera maker"
    exif[Base.Model] = "Model 7"
    exif[Base.DateTime] = "2024:05:01 10:00:00"
    image = gradient("RGBA", (20, 10))
    data = encode_png(image, exif=exif.tobytes())
    with Image.open(io.BytesIO(data)) as back:
        back.load()
        read = back.getexif()
        assert (read[Base.Make], read[Base.Model]) == ("Camera maker", "Model 7")
        assert read[Base.DateTime] == "2024:05:01 10:00:00"
    pillow = io.BytesIO()
    image.save(pillow, "PNG", exif=exif.tobytes())
    assert dict(read_chunks(data))[b"eXIf"] == dict(read_chunks(pillow.getvalue()))[b"eXIf"]
    kinds = [kind for kind, _ in read_chunks(data)]
    assert kinds.index(b"eXIf") < kinds.index(b"IDAT")


def test_no_metadata_unless_given():
    image = gradient("RGB", (20, 10))
    image.info = {"icc_profile": b"stale", "exif": b"Exif\x00\x00stale", "dpi": (300, 300)}
    kinds = {kind for kind, _ in read_chunks(encode_png(image))}
    assert kinds == {b"IHDR", b"IDAT", b"IEND"}


@pytest.mark.parametrize(
    "image",
    [
        gradient("RGB", (33, 21)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16),
        gradient("L", (33, 21)).convert("1"),
        Image.frombytes("I;16", (33, 21), noise("LA", (33, 21)).tobytes()),
    ],
    ids=["P", "1", "I;16"],
)
def test_other_modes_fall_back_to_pillow(image):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode_png(image, icc_profile=profile if image.mode == "P" else None)
    read_chunks(data)
    with Image.open(io.BytesIO(data)) as back:
        back.load()
        assert back.size == image.size
        assert back.convert("I").tobytes() == image.convert("I").tobytes()
        if image.mode == "P":
            assert back.info["icc_profile"] == profile


def test_fallback_options_reach_pillow():
    image = gradient("RGB", (64, 64)).convert("P", palette=Image.Palette.ADAPTIVE)
    stored = encode_png(image, fallback_options={"compress_level": 0})
    assert len(stored) > 64 * 64
    assert len(encode_png(image, fallback_options=ENCODER_OPTIONS["PNG"])) < len(stored)


def test_the_handler_encoder_writes_png_with_this_writer():
    image = gradient("LA", (50, 70))
    exif = Image.Exif()
    exif[Base.Make] = "Camera maker"
    assert encode_variant(image, "PNG", None, None, exif.tobytes()) == encode_png(
        image, exif=exif.tobytes()
    )
