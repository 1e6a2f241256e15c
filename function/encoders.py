"""Encoder and resampling settings, in one place so they can be tuned by measurement, and the
one function that turns pixels into bytes."""

from __future__ import annotations

import io
import zlib
from typing import Any

from PIL import Image

from function.png_writer import encode_png

# Lanczos for quality; with reducing_gap Pillow first shrinks by an integer factor with a box
# filter (cheap) and only the last <= 3x step uses the full filter, which is visually identical.
RESAMPLE = Image.Resampling.LANCZOS
REDUCING_GAP = 3.0

# Per-format keyword arguments for Image.save, on top of quality, icc_profile and exif, chosen by
# measurement (`python -m bench.encoder_study`, one core, 8 photos of 2-20 MP, against Pillow's
# defaults; see the performance study in the docs):
# - PNG: 8-bit L, LA, RGB and RGBA go through png_writer (Up or Sub, chosen per image, deflated by
#   ISA-L at level 1), many times faster than Pillow's default. These options are for the other
#   modes, which Pillow saves: zlib's run-length strategy (Z_RLE) after Pillow's adaptive filters
#   is 4.5x faster than level 6 for +6% bytes, and the level then barely matters.
# - WebP: method 0 is 4x faster than Pillow's default 4 at the same PSNR (-0.03 dB) for ~20% more
#   WebP bytes, about 1% of the five outputs' total.
# - JPEG: Huffman optimisation is lossless, saves ~6% of the JPEG bytes and costs ~5% of the
#   handler's time; the byte budget needs it.
ENCODER_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"optimize": True},
    "PNG": {"compress_level": 1, "compress_type": zlib.Z_RLE},
    "WEBP": {"method": 0},
    "AVIF": {"speed": 8},
}

# Largest width or height each encoder can write; larger outputs are scaled down to fit.
MAX_DIMENSION_BY_FORMAT: dict[str, int] = {
    "JPEG": 65500,
    "PNG": 2**31 - 1,
    "WEBP": 16383,
    "AVIF": 65536,
}


def encode(
    image: Image.Image,
    image_format: str,
    quality: int | None,
    icc_profile: bytes | None,
    exif: bytes | None,
) -> bytes:
    """Encode ``image`` as ``image_format`` with the configured settings and only the metadata
    passed in (Pillow copies nothing else because the image's ``info`` is empty)."""
    if image_format == "PNG":
        return encode_png(image, icc_profile, exif, ENCODER_OPTIONS["PNG"])
    options = dict(ENCODER_OPTIONS[image_format])
    if quality is not None:
        options["quality"] = quality
    if icc_profile:
        options["icc_profile"] = icc_profile
    if exif:
        options["exif"] = exif
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()
