"""Walk an upload's container structure before any decoder sees it (pure: bytes in, counts out).

Pillow's plugins parse headers in Python and keep every metadata segment they meet (JPEG APPn and
COM markers, PNG private and text chunks, GIF extension blocks, TIFF tag arrays) as Python
objects, and libjpeg runs every scan of a progressive JPEG over the whole image. None of that
shows in the pixel count, so these walkers count it first: segments, metadata bytes, junk bytes,
scans, and how much entropy-coded data a JPEG actually carries against the least its declared
frame needs. :mod:`function.budget` judges the counts. A walk stops counting segments past
``segment_cap`` so that a file made of millions of them costs no more to walk than to reject.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

JPEG_SOI = b"\xff\xd8"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GIF_SIGNATURES = (b"GIF87a", b"GIF89a")
TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*")
# Frame markers by how their entropy-coded data is laid out.
JPEG_SEQUENTIAL = frozenset({0xC0, 0xC1})
JPEG_PROGRESSIVE = frozenset({0xC2})
JPEG_LOSSLESS = frozenset({0xC3})
JPEG_ARITHMETIC = frozenset({0xC9, 0xCA, 0xCB})
JPEG_HIERARCHICAL = frozenset({0xC5, 0xC6, 0xC7, 0xCD, 0xCE, 0xCF})
JPEG_FRAMES = JPEG_SEQUENTIAL | JPEG_PROGRESSIVE | JPEG_LOSSLESS | JPEG_ARITHMETIC
JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})  # TEM, RST0-7, SOI
JPEG_SOS, JPEG_EOI = 0xDA, 0xD9
# The least entropy-coded data per 8x8 block: a sequential scan codes every block's DC
# difference and its end-of-block, each at least a one-bit Huffman code; a progressive file's
# DC-first scans code each block's DC difference (AC scans can skip whole bands with one
# end-of-band run). Lossless JPEG codes every sample with at least one bit.
MIN_BITS_PER_BLOCK = {"sequential": 2, "progressive": 1}
PNG_PIXEL_CHUNKS = frozenset({b"IDAT", b"fdAT"})
PNG_STRUCTURE_CHUNKS = frozenset({b"IHDR", b"PLTE", b"IEND", b"acTL", b"fcTL", b"tRNS"})
TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
TIFF_WIDTH, TIFF_LENGTH, TIFF_ROWS_PER_STRIP = 256, 257, 278
TIFF_SAMPLES, TIFF_PLANAR = 277, 284
TIFF_STRIP_OFFSETS, TIFF_TILE_WIDTH, TIFF_TILE_LENGTH, TIFF_TILE_OFFSETS = 273, 322, 323, 324


@dataclass(frozen=True)
class Structure:
    """What a walk found.

    ``width`` and ``height`` are the first frame's declared size; ``segments`` and
    ``metadata_bytes`` count what the decoder keeps as Python objects,
    ``junk_bytes`` what it steps over byte by byte; ``scans`` counts JPEG scans and ``blocks``
    the 8x8 blocks each one covers; ``entropy_bytes`` is the data a JPEG carries against
    ``min_entropy_bytes``, the least its declared frame needs; ``tag_values`` counts the values
    of a TIFF's first directory and ``data_units`` the strips or tiles it lists against
    ``max_data_units``, as many as its geometry has; ``coding`` names a JPEG's coding.
    """

    container: str
    width: int = 0
    height: int = 0
    segments: int = 0
    metadata_bytes: int = 0
    junk_bytes: int = 0
    scans: int = 0
    blocks: int = 0
    entropy_bytes: int = 0
    min_entropy_bytes: int = 0
    tag_values: int = 0
    data_units: int = 0
    max_data_units: int = 0
    coding: str = ""
    capped: bool = False


def walk(data: bytes, segment_cap: int) -> Structure | None:
    """The structure of ``data`` if it is a JPEG, PNG, GIF or TIFF; ``None`` for other formats
    (WebP, BMP and AVIF decoders keep no per-segment objects). Malformed containers are walked as
    far as they go: the decoder reports what is wrong with them."""
    if data.startswith(JPEG_SOI):
        return _walk_jpeg(data, segment_cap)
    if data.startswith(PNG_SIGNATURE):
        return _walk_png(data, segment_cap)
    if data[:6] in GIF_SIGNATURES:
        return _walk_gif(data, segment_cap)
    if data[:4] in TIFF_SIGNATURES:
        return _walk_tiff(data)
    return None


def _walk_jpeg(data: bytes, segment_cap: int) -> Structure:
    pos, size = 2, len(data)
    segments = metadata = junk = scans = entropy = 0
    frame: tuple[int, int, int, list[tuple[int, int]]] | None = None
    while pos < size and segments <= segment_cap:
        if data[pos] != 0xFF:
            found = data.find(b"\xff", pos)
            found = size if found < 0 else found
            junk += found - pos  # Pillow steps over junk between markers byte by byte
            pos = found
            continue
        fill = pos
        while pos < size and data[pos] == 0xFF:
            pos += 1
        junk += pos - fill - 1  # fill bytes before a marker: Pillow reads them one by one too
        if pos >= size:
            break
        marker = data[pos]
        pos += 1
        if marker == JPEG_EOI:
            break
        if marker in JPEG_STANDALONE or marker == 0:
            continue
        if pos + 2 > size:
            break
        length = int.from_bytes(data[pos : pos + 2], "big")
        body = data[pos + 2 : pos + length]
        pos += length
        segments += 1
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            metadata += len(body)
        elif marker in JPEG_FRAMES | JPEG_HIERARCHICAL and frame is None and len(body) >= 6:
            frame = (marker, *_jpeg_frame(body))
        elif marker == JPEG_SOS:
            scans += 1
            scan_bytes, pos = _jpeg_entropy(data, pos)
            entropy += scan_bytes
    coding, blocks, least, width, height = "", 0, 0, 0, 0
    if frame is not None:
        coding, blocks, least = _jpeg_least_entropy(*frame)
        width, height = frame[1], frame[2]
    return Structure(
        "JPEG",
        width=width,
        height=height,
        segments=segments,
        metadata_bytes=metadata,
        junk_bytes=junk,
        scans=scans,
        blocks=blocks,
        entropy_bytes=entropy,
        min_entropy_bytes=least,
        coding=coding,
        capped=segments > segment_cap,
    )


def _jpeg_frame(body: bytes) -> tuple[int, int, list[tuple[int, int]]]:
    height, width, count = int.from_bytes(body[1:3]), int.from_bytes(body[3:5]), body[5]
    sampling = [
        (body[7 + 3 * i] >> 4, body[7 + 3 * i] & 15) for i in range(count) if 8 + 3 * i < len(body)
    ]
    return width, height, sampling


def _jpeg_entropy(data: bytes, pos: int) -> tuple[int, int]:
    """The entropy-coded bytes after a scan header at ``pos`` (stuffed zeros and restart
    markers not counted) and the position of the marker that ends them."""
    count, size = 0, len(data)
    while True:
        found = data.find(b"\xff", pos)
        if found < 0 or found + 1 >= size:
            return count + size - pos, size
        follower = data[found + 1]
        if follower == 0:
            count += found - pos + 1
            pos = found + 2
        elif 0xD0 <= follower <= 0xD7 or follower == 0xFF:
            count += found - pos
            pos = found + (2 if follower != 0xFF else 1)
        else:
            return count + found - pos, found


def _jpeg_least_entropy(
    marker: int, width: int, height: int, sampling: list[tuple[int, int]]
) -> tuple[str, int, int]:
    """The frame's coding, its 8x8 blocks and the fewest entropy-coded bytes its declared size
    needs."""
    if not sampling or min(min(hv) for hv in sampling) < 1:
        return "sequential", 0, 0  # libjpeg rejects the frame itself
    h_max = max(h for h, _ in sampling)
    v_max = max(v for _, v in sampling)
    blocks = sum(
        _ceil_div(_ceil_div(width * h, h_max), 8) * _ceil_div(_ceil_div(height * v, v_max), 8)
        for h, v in sampling
    )
    if marker in JPEG_ARITHMETIC:
        return "arithmetic", blocks, 0
    if marker in JPEG_HIERARCHICAL:
        return "hierarchical", blocks, 0
    if marker in JPEG_LOSSLESS:
        samples = sum(
            _ceil_div(width * h, h_max) * _ceil_div(height * v, v_max) for h, v in sampling
        )
        return "lossless", blocks, samples // 8
    coding = "progressive" if marker in JPEG_PROGRESSIVE else "sequential"
    return coding, blocks, blocks * MIN_BITS_PER_BLOCK[coding] // 8


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _walk_png(data: bytes, segment_cap: int) -> Structure:
    pos, size = len(PNG_SIGNATURE), len(data)
    segments = metadata = 0
    while pos + 8 <= size and segments <= segment_cap:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        segments += 1
        if kind == b"IEND":
            break  # Pillow reads every chunk up to here (an APNG's frames included)
        if kind not in PNG_PIXEL_CHUNKS | PNG_STRUCTURE_CHUNKS:
            metadata += length
    width, height = struct.unpack_from(">II", data, 16) if size >= 24 else (0, 0)
    return Structure(
        "PNG",
        width=width,
        height=height,
        segments=segments,
        metadata_bytes=metadata,
        capped=segments > segment_cap,
    )


def _walk_gif(data: bytes, segment_cap: int) -> Structure:
    size = len(data)
    pos = 13
    if size >= 13 and data[10] & 0x80:
        pos += 3 << ((data[10] & 7) + 1)  # global colour table
    segments = metadata = junk = 0
    while pos < size and segments <= segment_cap:
        introducer = data[pos]
        if introducer in {0x2C, 0x3B}:
            break  # the first image (Pillow decodes only that one) or the trailer
        if introducer != 0x21:
            junk += 1
            pos += 1
            continue
        pos += 2  # introducer and label
        segments += 1
        while pos < size and segments <= segment_cap:
            block = data[pos]
            pos += 1 + block
            if block == 0:
                break
            segments += 1  # Pillow reads every sub-block as its own bytes object
            metadata += block
    width, height = struct.unpack_from("<HH", data, 6) if size >= 10 else (0, 0)
    return Structure(
        "GIF",
        width=width,
        height=height,
        segments=segments,
        metadata_bytes=metadata,
        junk_bytes=junk,
        capped=segments > segment_cap,
    )


def _walk_tiff(data: bytes) -> Structure:
    order = "<" if data.startswith(b"II") else ">"
    try:
        (offset,) = struct.unpack_from(order + "I", data, 4)
        (entries,) = struct.unpack_from(order + "H", data, offset)
    except struct.error:
        return Structure("TIFF")
    tags: dict[int, tuple[int, int]] = {}  # tag -> (count, value if a single SHORT or LONG)
    values = 0
    for index in range(entries):
        field = offset + 2 + 12 * index
        try:
            tag, kind, count = struct.unpack_from(order + "HHI", data, field)
            value = struct.unpack_from(order + ("H" if kind == 3 else "I"), data, field + 8)[0]
        except struct.error:
            break
        values += count if kind in TIFF_TYPE_SIZES else 0
        tags[tag] = (count, value)
    units = max(tags.get(TIFF_STRIP_OFFSETS, (0, 0))[0], tags.get(TIFF_TILE_OFFSETS, (0, 0))[0])
    return Structure(
        "TIFF",
        width=tags.get(TIFF_WIDTH, (0, 0))[1],
        height=tags.get(TIFF_LENGTH, (0, 0))[1],
        segments=entries,
        tag_values=values,
        data_units=units,
        max_data_units=_tiff_units_allowed(tags),
    )


def _tiff_units_allowed(tags: dict[int, tuple[int, int]]) -> int:
    """How many strips or tiles the first image's geometry needs, as an upper bound."""

    def scalar(tag: int, default: int) -> int:
        count, value = tags.get(tag, (1, default))
        return value if count == 1 else default

    width, height = scalar(TIFF_WIDTH, 0), scalar(TIFF_LENGTH, 0)
    planes = scalar(TIFF_SAMPLES, 1) if scalar(TIFF_PLANAR, 1) == 2 else 1
    if TIFF_TILE_OFFSETS in tags:
        tile_w, tile_h = max(scalar(TIFF_TILE_WIDTH, 16), 16), max(scalar(TIFF_TILE_LENGTH, 16), 16)
        return -(-width // tile_w) * -(-height // tile_h) * planes
    rows = max(scalar(TIFF_ROWS_PER_STRIP, height), 1)
    return -(-height // rows) * planes
