"""function.decoding: reduced JPEG decodes and pixel limits."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from PIL import Image

from function.budget import ResourceBudget
from function.decode_guard import BudgetExceededError, GuardedStream
from function.decoding import InvalidImageError, decode
from function.rendering import draft_planner
from function.variant_spec import DEFAULT_VARIANTS, VariantSpec
from hostile.cases import (
    app_marker_jpeg,
    gif_extensions,
    inflated_frame_jpeg,
    la_tiff,
    padded_png,
    progressive_grey_jpeg,
    strip_bomb_tiff,
)
from tests.function.function_helpers import encode, photo

MIB = 1024 * 1024


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


def test_associated_alpha_is_transparency_too():
    data = la_tiff((100, 80))
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "La" and image.getbands() == ("L", "a")
    assert decode(data, 8000, max_alpha_pixels=8000).source_size == (100, 80)
    with pytest.raises(InvalidImageError, match="with transparency exceeds 7999"):
        decode(data, 8000, max_alpha_pixels=7999)


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        pytest.param(
            lambda: padded_png(photo((64, 64)), 1_000_000),
            "PNG has over 65536 segments",
            id="png-chunks",
        ),
        pytest.param(
            lambda: app_marker_jpeg(400_000), "JPEG has over 65536 segments", id="jpeg-markers"
        ),
        pytest.param(
            lambda: gif_extensions(400_000), "GIF has over 65536 segments", id="gif-extensions"
        ),
        pytest.param(
            lambda: progressive_grey_jpeg((64, 64), 95),
            "JPEG has 101 scans, over the limit of 100",
            id="jpeg-scans",
        ),
        pytest.param(
            lambda: inflated_frame_jpeg((2000, 1500)), "JPEG scan data missing: ", id="jpeg-frame"
        ),
        pytest.param(
            lambda: strip_bomb_tiff((40, 30), 5000),
            "TIFF lists 5000 strips or tiles",
            id="tiff-strips",
        ),
        pytest.param(
            lambda: _arithmetic(encode(photo((64, 64)), "JPEG")),
            "arithmetic-coded JPEG",
            id="jpeg-arithmetic",
        ),
        pytest.param(
            lambda: _junk(encode(photo((64, 64)), "JPEG"), 70_000),
            "70000 junk bytes",
            id="jpeg-junk",
        ),
        pytest.param(
            lambda: _with_chunk(padded_png(photo((64, 64)), 0), b"prVt", bytes(17 * MIB)),
            "17825792 bytes of metadata",
            id="png-metadata",
        ),
    ],
)
def test_structures_out_of_bounds_are_rejected_before_pillow_parses_them(build, fragment):
    with pytest.raises(InvalidImageError, match=re.escape(fragment)):
        decode(build(), 10**8)


def test_a_scan_count_within_the_limit_is_decoded():
    data = progressive_grey_jpeg((64, 64), 94)  # 6 + 94 scans: at the limit
    assert decode(data, 10**8).image.size == (64, 64)


def test_the_budget_refuses_what_its_cpu_cannot_pay_for_before_decoding():
    data = encode(photo((2000, 1500)), "JPEG")
    tiny = ResourceBudget(128, 1)  # 0.05 s of CPU: 3 MP need 1.35 s
    with pytest.raises(
        InvalidImageError,
        match=r"3000000 pixels need an estimated 1\.4 s of CPU, over the budget of 0\.1 s",
    ):
        decode(data, 10**8, budget=tiny)
    assert decode(data, 10**8, budget=ResourceBudget(1024, 60)).source_size == (2000, 1500)


def test_the_guard_stops_a_decode_past_its_memory_or_cpu_allowance():
    data = encode(Image.effect_noise((1500, 1500), 80), "PNG")  # > 64 reads of 16 KiB
    no_memory = ResourceBudget(1, 10**6)  # 0.9 MiB resident allowed, CPU plenty
    with pytest.raises(InvalidImageError, match="over the memory budget of 0 MiB"):
        decode(data, 10**8, budget=no_memory)
    spent = GuardedStream(data, cpu_seconds=-1.0, memory_bytes=2**40)
    with pytest.raises(BudgetExceededError, match=r"CPU allowance of -1\.0 s"):
        spent.read(10)
    fine = GuardedStream(data, cpu_seconds=60.0, memory_bytes=2**40)
    assert fine.read(8) == data[:8]


def _junk(data: bytes, count: int) -> bytes:
    return data[:2] + b"\x00" * count + data[2:]


def _arithmetic(data: bytes) -> bytes:
    patched = bytearray(data)
    patched[patched.find(b"\xff\xc0") + 1] = 0xC9  # SOF0 -> SOF9: arithmetic coding
    return bytes(patched)


def _with_chunk(png: bytes, kind: bytes, body: bytes) -> bytes:
    return png[:-12] + _chunk(kind, body) + png[-12:]  # before IEND


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
