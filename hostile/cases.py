"""Builders of hostile uploads, one per class of input that could push the function past its
memory or time: pure and deterministic (Pillow with fixed seeds, then byte patching).

Each :class:`Case` names what the function should do with it: ``processed`` (the worst inputs it
accepts, which must fit the bounds) or ``rejected`` with a fragment of the reason.
"""

from __future__ import annotations

import io
import random
import struct
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

MIB = 1024 * 1024
ORIENTATION = 0x0112
ASPECT = 6240 / 4993  # the audit's 31 MP frame


@dataclass(frozen=True)
class Limits:
    """The limits of the function under test, which size the cases."""

    max_pixels: int
    max_alpha_pixels: int
    max_input_bytes: int

    @property
    def full_size(self) -> tuple[int, int]:
        """The largest frame of :data:`ASPECT` within ``max_pixels``."""
        return frame_within(self.max_pixels)

    @property
    def alpha_size(self) -> tuple[int, int]:
        """The largest frame of :data:`ASPECT` within ``max_alpha_pixels``."""
        return frame_within(self.max_alpha_pixels)


def frame_within(pixels: int) -> tuple[int, int]:
    """The largest ``width x height`` of :data:`ASPECT` with at most ``pixels`` pixels."""
    height = int((pixels / ASPECT) ** 0.5)
    width = int(height * ASPECT)
    while width * height > pixels:
        width -= 1
    return width, height


@dataclass(frozen=True)
class Case:
    """One hostile upload: ``build`` makes its bytes for the limits under test; ``expect`` is
    ``processed`` or ``rejected``; ``reason`` a fragment the rejection names."""

    name: str
    key: str
    build: Callable[[Limits], bytes]
    expect: str
    reason: str = ""
    description: str = ""


def noise(mode: str, size: tuple[int, int], seed: int = 7) -> Image.Image:
    """A deterministic noise image of ``mode``: every band random, so no encoder can shrink it."""
    rng = random.Random(seed)  # reproducible noise, not secrets
    bands = [
        Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
        for _ in Image.new(mode, (1, 1)).getbands()
    ]
    return bands[0] if len(bands) == 1 else Image.merge(mode, bands)


def noise_alpha(mode: str, size: tuple[int, int]) -> Image.Image:
    """An image of ``mode`` (``LA`` or ``RGBA``) whose colour is a smooth gradient and whose
    alpha is noise: the costliest alpha to encode that still compresses under the input limit."""
    gradient = Image.linear_gradient("L").resize(size)
    colour = [gradient] * (len(mode) - 1)
    return Image.merge(mode, [*colour, noise("L", size)])


def la_tiff(size: tuple[int, int], orientation: int = 1) -> bytes:
    """A greyscale TIFF with *associated* alpha (Pillow mode ``La``): an ``LA`` noise TIFF whose
    ExtraSamples tag (338) is patched from 2 (unassociated) to 1 (associated)."""
    buffer = io.BytesIO()
    tags = {ORIENTATION: orientation} if orientation != 1 else {}
    noise("LA", size).save(buffer, "TIFF", tiffinfo=tags)
    data = bytearray(buffer.getvalue())
    (offset,) = struct.unpack_from("<I", data, 4)
    (entries,) = struct.unpack_from("<H", data, offset)
    for index in range(entries):
        field = offset + 2 + 12 * index
        tag, _kind, _count, value = struct.unpack_from("<HHIH", data, field)
        if tag == 338 and value == 2:
            struct.pack_into("<H", data, field + 8, 1)
            return bytes(data)
    raise AssertionError("no ExtraSamples tag to patch")


def padded_png(image: Image.Image, total_bytes: int) -> bytes:
    """``image`` as a PNG followed, before IDAT, by empty private ``prVt`` chunks up to
    ``total_bytes``."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    png = buffer.getvalue()
    ihdr_end = 8 + 25
    empty = struct.pack(">I", 0) + b"prVt" + struct.pack(">I", zlib.crc32(b"prVt"))
    count = max(0, (total_bytes - len(png)) // len(empty))
    return png[:ihdr_end] + empty * count + png[ihdr_end:]


def progressive_grey_jpeg(size: tuple[int, int], repeats: int) -> bytes:
    """A flat grey progressive JPEG whose last AC scan (a refinement scan of a few bytes: its
    header, table and data) is repeated ``repeats`` more times before EOI."""
    data = encoded(Image.new("L", size, 128), "JPEG", progressive=True)
    last_scan = data.rfind(b"\xff\xda")
    start = data.rfind(b"\xff\xc4", 0, last_scan)  # its Huffman table goes with it
    start = last_scan if start < 0 else start
    body = data[start:-2]
    return data[:-2] + body * repeats + b"\xff\xd9"


def inflated_frame_jpeg(size: tuple[int, int]) -> bytes:
    """A valid 8x8 JPEG whose frame header is patched to declare ``size``: scan data missing."""
    buffer = io.BytesIO()
    noise("RGB", (8, 8)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, size[1], size[0])
    return bytes(data)


def app_marker_jpeg(total_bytes: int) -> bytes:
    """A small JPEG preceded by empty APP15 segments up to ``total_bytes`` (Pillow keeps each)."""
    buffer = io.BytesIO()
    noise("RGB", (64, 64)).save(buffer, "JPEG")
    data = buffer.getvalue()
    empty = b"\xff\xef\x00\x02"
    return data[:2] + empty * ((total_bytes - len(data)) // len(empty)) + data[2:]


def gif_extensions(total_bytes: int) -> bytes:
    """A small GIF preceded by empty comment extensions up to ``total_bytes``."""
    buffer = io.BytesIO()
    noise("L", (64, 64)).convert("P").save(buffer, "GIF")
    data = buffer.getvalue()
    header = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    empty = b"\x21\xfe\x00"
    return data[:header] + empty * ((total_bytes - len(data)) // len(empty)) + data[header:]


def strip_bomb_tiff(size: tuple[int, int], strips: int) -> bytes:
    """An uncompressed greyscale TIFF whose StripOffsets and StripByteCounts list ``strips``
    entries, far more than its rows."""
    width, height = size
    pixels = bytes(width * height)
    offsets_at = 8 + 2 + 12 * 9 + 4  # after the header and the nine-entry directory
    counts_at = offsets_at + 4 * strips
    pixels_at = counts_at + 4 * strips
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, strips, offsets_at),
        (277, 3, 1, 1),
        (278, 4, 1, 1),
        (279, 4, strips, counts_at),
    ]
    ifd = bytearray(struct.pack("<H", len(entries)))
    for tag, kind, count, value in entries:
        if kind == 3:
            ifd += struct.pack("<HHIHH", tag, kind, count, value, 0)
        else:
            ifd += struct.pack("<HHII", tag, kind, count, value)
    ifd += struct.pack("<I", 0)
    offsets = struct.pack(f"<{strips}I", *([pixels_at] * strips))
    counts = struct.pack(f"<{strips}I", *([1] * strips))
    return b"II*\x00" + struct.pack("<I", 8) + bytes(ifd) + offsets + counts + pixels


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    """``image`` encoded in ``image_format`` (through a real file: Pillow's in-memory buffer for
    a progressive JPEG is too small for noise)."""
    with tempfile.TemporaryFile() as file:
        image.save(file, image_format, **options)
        file.seek(0)
        return file.read()


def dense_progressive_jpeg(size: tuple[int, int], mode: str = "RGB") -> bytes:
    """A progressive 4:4:4 JPEG of ``mode``, orientation 6, at quality 95 of noise as dense as
    Pillow's progressive encoder and MAX_INPUT_BYTES allow: 64 levels for RGB, 16 for CMYK."""
    levels = 4 if mode == "RGB" else 16  # CMYK noise as dense would not fit MAX_INPUT_BYTES
    image = noise(mode, size).point(lambda value: value // levels)
    return encoded(
        image, "JPEG", quality=95, subsampling=0, progressive=True, exif=orientation_exif(6)
    )


def orientation_exif(orientation: int) -> bytes:
    """EXIF holding only an orientation tag."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif.tobytes()


CASES: tuple[Case, ...] = (
    Case(
        "la-tiff",
        "la.tif",
        lambda limits: la_tiff(limits.full_size),
        "rejected",
        "with transparency",
        "greyscale + associated alpha (La) noise TIFF at the opaque limit",
    ),
    Case(
        "la-tiff-rotated",
        "la-rotated.tif",
        lambda limits: la_tiff(limits.full_size, orientation=6),
        "rejected",
        "with transparency",
        "the same with EXIF orientation 6",
    ),
    Case(
        "rgba-png-private-chunks",
        "rgba-chunks.png",
        lambda limits: padded_png(noise_alpha("RGBA", limits.alpha_size), limits.max_input_bytes),
        "rejected",
        "segments",
        "RGBA noise-alpha at the alpha limit, padded with empty private chunks to MAX_INPUT_BYTES",
    ),
    Case(
        "rgb-png-private-chunks",
        "rgb-chunks.png",
        lambda limits: padded_png(
            Image.linear_gradient("L").resize(limits.full_size).convert("RGB"),
            limits.max_input_bytes,
        ),
        "rejected",
        "segments",
        "an RGB gradient at the opaque limit, padded the same way",
    ),
    Case(
        "jpeg-scans-1000",
        "scans-1000.jpg",
        lambda limits: progressive_grey_jpeg(limits.full_size, 1000),
        "rejected",
        "scans",
        "grey progressive JPEG, last AC scan repeated 1,000 times",
    ),
    Case(
        "jpeg-scans-20000",
        "scans-20000.jpg",
        lambda limits: progressive_grey_jpeg(limits.full_size, 20000),
        "rejected",
        "scans",
        "the same, repeated 20,000 times",
    ),
    Case(
        "jpeg-missing-scan-data",
        "inflated.jpg",
        lambda limits: inflated_frame_jpeg(limits.full_size),
        "rejected",
        "entropy-coded data",
        "an 8x8 JPEG whose frame header declares the opaque limit",
    ),
    Case(
        "jpeg-app-markers",
        "app-markers.jpg",
        lambda limits: app_marker_jpeg(limits.max_input_bytes),
        "rejected",
        "segments",
        "a small JPEG behind empty APP15 segments up to MAX_INPUT_BYTES",
    ),
    Case(
        "gif-extensions",
        "extensions.gif",
        lambda limits: gif_extensions(limits.max_input_bytes),
        "rejected",
        "segments",
        "a small GIF behind empty comment extensions up to MAX_INPUT_BYTES",
    ),
    Case(
        "tiff-strip-table",
        "strips.tif",
        lambda limits: strip_bomb_tiff((1000, 750), limits.max_input_bytes // 16),
        "rejected",
        "strips or tiles",
        "a TIFF listing a strip per 16 bytes of MAX_INPUT_BYTES for 750 rows",
    ),
    Case(
        "rgb-jpeg-worst",
        "rgb-444.jpg",
        lambda limits: dense_progressive_jpeg(limits.full_size),
        "processed",
        description="RGB noise progressive 4:4:4 JPEG at the opaque limit, orientation 6",
    ),
    Case(
        "cmyk-jpeg-worst",
        "cmyk.jpg",
        lambda limits: dense_progressive_jpeg(limits.full_size, "CMYK"),
        "processed",
        description="CMYK noise progressive JPEG at the opaque limit, orientation 6",
    ),
    Case(
        "rgba-png-alpha-worst",
        "rgba-worst.png",
        lambda limits: encoded(
            noise_alpha("RGBA", limits.alpha_size), "PNG", exif=orientation_exif(6)
        ),
        "processed",
        description="RGBA noise-alpha PNG at the alpha limit, orientation 6",
    ),
    Case(
        "la-tiff-alpha-worst",
        "la-worst.tif",
        lambda limits: la_tiff(limits.alpha_size, orientation=6),
        "processed",
        description="La noise TIFF at the alpha limit, orientation 6",
    ),
)
CASES_BY_NAME = {case.name: case for case in CASES}
