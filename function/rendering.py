"""Render every variant of one decoded image in memory (no I/O: pixels in, encoded bytes out).

Conversions and resizes are shared: each colour family (see :mod:`colour`) is derived from the
decoded image at most once per size. Variants are rendered family by family, full size first, so
resized variants start from the already converted image and each family's images can be freed
after its last variant. Given an executor, PNGs that :mod:`png_writer` writes itself are encoded on
it while this thread encodes the other formats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass

from PIL import Image

from function.colour import FAMILY_BY_FORMAT, ColourImage, Family, for_family, to_working
from function.decoding import DecodedImage, DraftPlanner
from function.encoders import MAX_DIMENSION_BY_FORMAT, REDUCING_GAP, RESAMPLE, encode
from function.geometry import Box, ResizePlan, Size, needed_decode_size, plan_resize
from function.metadata import exif_without_location
from function.png_writer import writes_itself
from function.variant_spec import VariantSpec

# A last step on each output's pixels after resizing (the watermark): returns a new image when it
# changes anything, never modifying its input, which other variants may share.
Finisher = Callable[[VariantSpec, Image.Image], Image.Image]


@dataclass(frozen=True)
class RenderedVariant:
    """One encoded output."""

    spec: VariantSpec
    data: bytes
    width: int
    height: int


def draft_planner(variants: tuple[VariantSpec, ...]) -> DraftPlanner:
    """A planner for :func:`decoding.decode`: decode JPEGs smaller when every variant is."""

    def plan(source: Size) -> Size | None:
        return needed_decode_size(variants, source, REDUCING_GAP)

    return plan


def render_variants(
    decoded: DecodedImage,
    variants: Sequence[VariantSpec],
    *,
    keep_exif: bool = False,
    png_executor: Executor | None = None,
    finish: Finisher | None = None,
) -> list[RenderedVariant]:
    """Encode each variant of ``decoded``, returned in the order given; raises whatever Pillow
    raises.

    Consumes ``decoded``: its image is closed once converted to the working mode. Variants are
    rendered grouped by colour family (full size first), and each family's images are released
    after its last variant, so at most one converted full-size copy exists at a time.

    With ``png_executor``, the PNG family comes first and every PNG that :mod:`png_writer` writes
    itself is encoded there while this thread encodes the rest (the writer only reads pixels, so no
    image is ever ``save``-d by two threads). The bytes are the same either way. Nothing is
    returned, and no encode is left running, until every variant is done or one has failed.
    ``finish``, when given, turns each output's resized pixels into the ones encoded.
    """
    exif = exif_without_location(decoded.image) if keep_exif else None
    working = to_working(decoded.image)
    if working.image is not decoded.image:
        decoded.image.close()
    renderer = _Renderer(working, decoded.source_size)
    families = [FAMILY_BY_FORMAT[spec.format] for spec in variants]
    first_seen = {family: families.index(family) for family in families}
    threaded = png_executor is not None
    order = sorted(
        range(len(variants)),
        key=lambda index: (
            not (threaded and variants[index].format == "PNG"),
            first_seen[families[index]],
            variants[index].resizes,
        ),
    )
    last_of_family = {families[index]: index for index in order}
    sizes: dict[int, Size] = {}
    encoded: dict[int, bytes] = {}
    pending: dict[int, Future[bytes]] = {}
    try:
        for index in order:
            spec = variants[index]
            pixels = renderer.pixels_for(spec)
            image = finish(spec, pixels.image) if finish is not None else pixels.image
            sizes[index] = image.size
            args = (image, spec.format, spec.quality, pixels.icc_profile, exif)
            if png_executor is not None and spec.format == "PNG" and writes_itself(image):
                pending[index] = png_executor.submit(encode, *args)
            else:
                encoded[index] = encode(*args)
            del pixels, image, args
            if last_of_family[families[index]] == index:
                renderer.release(families[index])
        for index, future in pending.items():
            encoded[index] = future.result()
    finally:
        for future in pending.values():
            future.cancel()
        wait(pending.values())
    return [RenderedVariant(variants[i], encoded[i], *sizes[i]) for i in range(len(variants))]


class _Renderer:
    """Caches each (family, size, box) image so variants share conversions and resizes."""

    def __init__(self, working: ColourImage, source_size: Size) -> None:
        self._working = working
        self._source_size = source_size
        self._families: dict[tuple[Family, Size | None, Box | None], ColourImage] = {}
        self._resized: dict[tuple[Size, Box | None], ColourImage] = {}

    def pixels_for(self, spec: VariantSpec) -> ColourImage:
        family = FAMILY_BY_FORMAT[spec.format]
        limit = MAX_DIMENSION_BY_FORMAT[spec.format]
        plan = plan_resize(spec, self._source_size, self._working.image.size, limit)
        if plan.box is None and plan.size == self._working.image.size:
            return self._full(family)
        key = (family, plan.size, plan.box)
        if key not in self._families:
            full = self._families.get((family, None, None))
            if full is not None:
                self._families[key] = ColourImage(_resize(full.image, plan), full.icc_profile)
            else:
                self._families[key] = for_family(self._resize_working(plan), family)
        return self._families[key]

    def release(self, family: Family) -> None:
        """Drop every cached image of ``family`` (the working image itself stays)."""
        for key in [key for key in self._families if key[0] == family]:
            del self._families[key]

    def _full(self, family: Family) -> ColourImage:
        key = (family, None, None)
        if key not in self._families:
            self._families[key] = for_family(self._working, family)
        return self._families[key]

    def _resize_working(self, plan: ResizePlan) -> ColourImage:
        key = (plan.size, plan.box)
        if key not in self._resized:
            image = _resize(self._working.image, plan)
            self._resized[key] = ColourImage(image, self._working.icc_profile)
        return self._resized[key]


def _resize(image: Image.Image, plan: ResizePlan) -> Image.Image:
    return image.resize(plan.size, RESAMPLE, box=plan.box, reducing_gap=REDUCING_GAP)
