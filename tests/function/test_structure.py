"""function.structure: the container walks count what the decoders would parse and keep."""

from __future__ import annotations

import struct
import zlib

from PIL import Image

from function.structure import walk
from hostile.cases import (
    app_marker_jpeg,
    gif_extensions,
    inflated_frame_jpeg,
    padded_png,
    progressive_grey_jpeg,
    strip_bomb_tiff,
)
from tests.function.function_helpers import encode, photo


def test_jpeg_walk_counts_scans_blocks_and_entropy_coded_data():
    baseline = walk(encode(photo((640, 480)), "JPEG"), 1000)
    assert baseline is not None
    assert (baseline.container, baseline.coding, baseline.scans) == ("JPEG", "sequential", 1)
    assert (baseline.width, baseline.height) == (640, 480)
    assert baseline.blocks == 80 * 60 + 2 * 40 * 30  # 4:2:0: chroma at half size each way
    assert baseline.min_entropy_bytes == baseline.blocks * 2 // 8
    assert baseline.entropy_bytes > baseline.min_entropy_bytes and baseline.junk_bytes == 0
    progressive = walk(encode(photo((640, 480)), "JPEG", progressive=True), 1000)
    assert progressive is not None and progressive.coding == "progressive"
    assert progressive.scans == 10 and progressive.min_entropy_bytes == progressive.blocks // 8
    repeated = walk(progressive_grey_jpeg((256, 256), 50), 1000)
    assert repeated is not None and repeated.scans == 6 + 50  # grey progression: 6 scans


def test_jpeg_walk_sees_a_frame_larger_than_its_data():
    found = walk(inflated_frame_jpeg((6240, 4993)), 1000)
    assert found is not None
    blocks = 780 * 625 + 2 * 390 * 313  # Pillow's default 4:2:0 sampling
    assert found.blocks == blocks
    assert found.entropy_bytes < 100 < found.min_entropy_bytes == blocks * 2 // 8


def test_jpeg_walk_counts_junk_and_stops_counting_segments_at_the_cap():
    data = encode(photo((64, 64)), "JPEG")
    junk = data[:2] + b"\x00" * 500 + data[2:]
    found = walk(junk, 1000)
    assert found is not None and found.junk_bytes == 500
    flood = walk(app_marker_jpeg(400_000), 1000)
    assert flood is not None and flood.capped and flood.segments == 1001
    arithmetic = bytearray(data)
    arithmetic[arithmetic.find(b"\xff\xc0") + 1] = 0xC9
    found = walk(bytes(arithmetic), 1000)
    assert found is not None and found.coding == "arithmetic"


def test_png_walk_counts_chunks_and_metadata_before_and_after_the_pixels():
    image = photo((32, 32))
    image.info.clear()
    plain = walk(encode(image, "PNG"), 1000)
    assert plain is not None and plain.metadata_bytes == 0 and not plain.capped
    assert (plain.width, plain.height) == (32, 32)
    padded = walk(padded_png(image, 50_000), 1000)
    assert padded is not None and padded.capped and padded.segments == 1001
    data = encode(image, "PNG", exif=b"Exif\x00\x00" + b"\x00" * 100)
    text_after = data[:-12] + _chunk(b"tEXt", b"k\x00" + b"v" * 300) + data[-12:]
    found = walk(text_after, 1000)
    assert found is not None and found.metadata_bytes == 100 + 302  # eXIf, then tEXt after IDAT


def test_gif_walk_counts_extension_blocks_before_the_first_image():
    found = walk(gif_extensions(20_000), 100_000)
    assert found is not None and found.container == "GIF" and found.segments >= 4000
    small = walk(encode(Image.new("P", (8, 8)), "GIF", comment=b"hello"), 1000)
    assert small is not None and small.metadata_bytes == 5
    assert (small.width, small.height) == (8, 8)


def test_tiff_walk_compares_strips_with_the_geometry():
    normal = walk(encode(photo((64, 48)), "TIFF"), 1000)
    assert normal is not None and normal.data_units <= normal.max_data_units
    assert (normal.width, normal.height) == (64, 48)
    bomb = walk(strip_bomb_tiff((40, 30), 5000), 1000)
    assert bomb is not None
    assert (bomb.data_units, bomb.max_data_units) == (5000, 30)
    assert bomb.tag_values >= 10_000
    assert walk(b"MM\x00*" + struct.pack(">I", 8) + b"\x00\x00", 1000) is not None
    assert walk(b"RIFF....WEBP", 1000) is None  # formats without per-segment objects


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
