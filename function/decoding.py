"""Decode an upload with an allowlist of Pillow decoders and hard limits.

Only the plugins for the allowed formats are imported and ``Image.open`` is restricted to them, so
a file in any other format is rejected without another plugin ever parsing it. The container's
structure is walked (:mod:`structure`) and judged (:mod:`budget`) before Pillow parses it; the
pixel count, transparency and estimated CPU are checked from the header before any pixel is
decoded; the decode itself runs behind a guard (:mod:`decode_guard`) on CPU and memory; and
Pillow's decompression-bomb warnings are errors.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import (
    AvifImagePlugin,
    BmpImagePlugin,
    GifImagePlugin,
    Image,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

from function.budget import MAX_SEGMENTS, ResourceBudget, structure_problem
from function.decode_guard import READ_BLOCK, GuardedStream
from function.errors import PermanentError
from function.heif import register_heif_opener
from function.structure import Structure, walk

# Imported for their side effect: each registers its decoder with Image.OPEN.
_PLUGINS = (
    AvifImagePlugin,
    BmpImagePlugin,
    GifImagePlugin,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)
# pi-heif's decoder for HEIC/HEIF (function/heif.py), registered the same way.
HEIF_FORMAT = register_heif_opener()
# AVIF before HEIF: both are ISO-BMFF files ("ftyp"), and Pillow's own AVIF decoder is preferred.
ALLOWED_FORMATS: tuple[str, ...] = tuple(
    name
    for name in ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "AVIF", HEIF_FORMAT)
    if name in Image.OPEN  # a plugin whose codec is missing registers nothing: never init() all
)
# Formats whose files may hold an animation (function/animation.py renders every frame).
ANIMATED_FORMATS: tuple[str, ...] = ("GIF", "WEBP", "PNG")
ORIENTATION_TAG = 0x0112
SWAPS_AXES = frozenset({5, 6, 7, 8})
# Band names that carry opacity: ``A`` (unassociated alpha) and ``a`` (associated, as in
# Pillow's ``La``, ``RGBa`` and ``PA`` from TIFF's ExtraSamples).
ALPHA_BANDS = frozenset({"A", "a"})
# Pillow keeps decompressed text chunks (zTXt, iTXt) up to this much per image; its default is
# 64 MiB, above the metadata the budget allows.
PngImagePlugin.MAX_TEXT_MEMORY = 16 * 1024 * 1024

# The wanted (upright) size for a source of the given upright size, or None for full size.
DraftPlanner = Callable[[tuple[int, int]], tuple[int, int] | None]


class InvalidImageError(PermanentError):
    """The upload is not an image this function will process; ``str()`` is the reason."""


@dataclass(frozen=True)
class DecodedImage:
    """The first frame of an upload, decoded and turned upright, and its number of frames."""

    image: Image.Image
    format: str
    source_size: tuple[int, int]
    frames: int = 1
    orientation: int | None = None  # the EXIF orientation applied, None when the file has none


def decode(
    data: bytes,
    max_pixels: int,
    planner: DraftPlanner | None = None,
    *,
    max_alpha_pixels: int | None = None,
    max_frame_pixels: int | None = None,
    budget: ResourceBudget | None = None,
) -> DecodedImage:
    """Decode ``data`` (first frame only) and apply its EXIF orientation to the pixels.

    ``planner`` may ask for a smaller decode (JPEG's DCT scaling via ``draft``) when every output
    is smaller than the source. Raises :class:`InvalidImageError` with the reason for anything
    that is not an allowed, intact image within ``max_pixels``, or within ``max_alpha_pixels``
    (default: ``max_pixels``) for a source with transparency, which needs more memory per pixel,
    and for an animation within ``max_frame_pixels`` frames x pixels (when given: only when every
    frame will be rendered); and anything whose structure is out of bounds, or (with ``budget``)
    that would exceed its CPU budget, estimated or measured while decoding, or its memory budget
    while decoding.
    """
    if not data:
        raise InvalidImageError("empty object")
    structure = walk(data, MAX_SEGMENTS)
    problem = structure_problem(structure) if structure is not None else None
    if problem:
        raise InvalidImageError(problem)
    with _pillow_pixel_limit(max_pixels), warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            alpha_limit = max_pixels if max_alpha_pixels is None else max_alpha_pixels
            return _decode(
                data,
                max_pixels,
                alpha_limit,
                planner,
                max_frame_pixels=max_frame_pixels,
                budget=budget,
                structure=structure,
            )
        except InvalidImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            reason = f"image too large for MAX_PIXELS={max_pixels} (decompression bomb?): {exc}"
            raise InvalidImageError(reason) from exc
        except Image.UnidentifiedImageError as exc:
            allowed = ", ".join(ALLOWED_FORMATS)
            raise InvalidImageError(
                f"not a supported image, or its header is corrupt (allowed: {allowed})"
            ) from exc
        # Decoding is deterministic on the bytes: whatever else a decoder raises on this input it
        # raises again on retry, so it is a property of the upload, not of the environment.
        except Exception as exc:
            raise InvalidImageError(
                f"corrupt or truncated image: {type(exc).__name__}: {exc}"
            ) from exc


def frame_count(image: Image.Image) -> int:
    """Frames of an opened (not yet loaded) upload: 1 for a still or a format never animated."""
    if image.format not in ANIMATED_FORMATS:
        return 1
    return int(getattr(image, "n_frames", 1))


def has_transparency(image: Image.Image) -> bool:
    """Whether the opened (not yet loaded) image has an alpha channel (associated or not) or a
    transparent colour."""
    return not ALPHA_BANDS.isdisjoint(image.getbands()) or "transparency" in image.info


@contextmanager
def _pillow_pixel_limit(max_pixels: int) -> Iterator[None]:
    """Pillow's own decompression-bomb threshold set to ``max_pixels``, restored afterwards."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _decode(
    data: bytes,
    max_pixels: int,
    max_alpha_pixels: int,
    planner: DraftPlanner | None,
    *,
    max_frame_pixels: int | None,
    budget: ResourceBudget | None,
    structure: Structure | None,
) -> DecodedImage:
    stream: io.BytesIO = io.BytesIO(data)
    if budget is not None:
        # A backstop for what the model cannot see: parsing and decoding together may not use
        # more than the whole CPU budget, nor take the process past its memory budget.
        stream = GuardedStream(
            data, cpu_seconds=budget.cpu_seconds, memory_bytes=budget.memory_bytes
        )
    image = Image.open(stream, formats=ALLOWED_FORMATS)
    width, height = image.size
    if width < 1 or height < 1:
        raise InvalidImageError(f"image has no pixels: {width}x{height}")
    if width * height > max_pixels:
        raise InvalidImageError(
            f"image too large: {width}x{height} = {width * height} pixels "
            f"exceeds MAX_PIXELS={max_pixels}"
        )
    alpha = has_transparency(image)
    if width * height > max_alpha_pixels and alpha:
        raise InvalidImageError(
            f"image too large: {width}x{height} = {width * height} pixels with transparency "
            f"exceeds {max_alpha_pixels} (MAX_PIXELS={max_pixels} scaled for the memory alpha "
            "needs)"
        )
    frames = frame_count(image)
    if max_frame_pixels is not None and frames > 1 and frames * width * height > max_frame_pixels:
        raise InvalidImageError(
            f"animation too large: {frames} frames x {width}x{height} = "
            f"{frames * width * height} frame pixels exceeds the budget of {max_frame_pixels} "
            "(MAX_PIXELS scaled for the memory every frame needs)"
        )
    if budget is not None:
        problem = budget.cost_problem(width * height, structure, alpha=alpha)
        if problem:
            raise InvalidImageError(problem)
        image.decodermaxblock = READ_BLOCK
    image_format = image.format or "UNKNOWN"
    orientation = image.getexif().get(ORIENTATION_TAG)
    swapped = orientation in SWAPS_AXES
    upright = (height, width) if swapped else (width, height)
    wanted = planner(upright) if planner and image_format == "JPEG" else None
    if wanted is not None:
        image.draft(None, (wanted[1], wanted[0]) if swapped else wanted)
    image.load()
    ImageOps.exif_transpose(image, in_place=True)
    return DecodedImage(image, image_format, upright, frames, orientation)
