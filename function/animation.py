"""Animated sources (GIF, WebP, APNG): every frame to an animated WebP, within a frame budget.

An animated upload gives an animated image for each WebP variant (every frame, its duration and
the loop count kept) and first-frame stills for every other variant. All frames of an output are
held in memory until the WebP encoder assembles them, so the budget is on frames x pixels, set
by the memory model in :mod:`function.settings`. Pure: bytes in, encoded bytes out.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps

from function.colour import for_family, to_working
from function.decoding import ANIMATED_FORMATS, ORIENTATION_TAG, frame_count
from function.encoders import ENCODER_OPTIONS, MAX_DIMENSION_BY_FORMAT, REDUCING_GAP, RESAMPLE
from function.geometry import plan_resize
from function.rendering import Finisher, RenderedVariant
from function.variant_spec import VariantSpec

ANIMATED_OUTPUT = "WEBP"
# GIF without a NETSCAPE loop extension plays once; WebP's loop count 1 means the same.
PLAY_ONCE = 1


@dataclass(frozen=True)
class AnimatedWebp:
    """An encoded animated WebP and what it holds."""

    data: bytes
    width: int
    height: int
    durations: tuple[int, ...]
    loop: int


def animates(spec: VariantSpec) -> bool:
    """Whether ``spec`` becomes animated for an animated source (WebP outputs do)."""
    return spec.format == ANIMATED_OUTPUT


def still_variants(variants: Sequence[VariantSpec], frames: int) -> list[VariantSpec]:
    """The variants rendered from the first frame: all of them for a still source."""
    return [spec for spec in variants if frames == 1 or not animates(spec)]


def with_animations(
    data: bytes,
    variants: Sequence[VariantSpec],
    stills: Sequence[RenderedVariant],
    frames: int,
    finish: Finisher | None = None,
) -> list[RenderedVariant]:
    """Every variant in order: the ``stills`` rendered for :func:`still_variants`, and an
    animated WebP from ``data`` for each of the others (``finish`` applied to every frame)."""
    remaining = iter(stills)
    outputs = []
    for spec in variants:
        if frames > 1 and animates(spec):
            webp = render_animated_webp(data, spec, finish)
            outputs.append(RenderedVariant(spec, webp.data, webp.width, webp.height))
        else:
            outputs.append(next(remaining))
    return outputs


def render_animated_webp(
    data: bytes, spec: VariantSpec, finish: Finisher | None = None
) -> AnimatedWebp:
    """Encode every frame of the animated upload ``data`` as ``spec`` (a WebP variant): each
    frame composited by Pillow, turned upright, converted and resized like a still, then
    ``finish``-ed; durations (ms) and the loop count (0 = forever) as in the source."""
    with Image.open(io.BytesIO(data), formats=ANIMATED_FORMATS) as source:
        orientation = source.getexif().get(ORIENTATION_TAG, 1)
        loop = int(source.info.get("loop", PLAY_ONCE))
        frames: list[Image.Image] = []
        durations: list[int] = []
        icc_profile = None
        for index in range(frame_count(source)):
            source.seek(index)
            frame = source.copy()  # loads the frame: WebP sets its duration only then
            durations.append(round(source.info.get("duration", 0)))
            if orientation != 1:
                frame = ImageOps.exif_transpose(frame)
            working = for_family(to_working(frame), "colour")
            if index == 0:
                icc_profile = working.icc_profile
            frames.append(_resize(working.image, spec, finish))
    options = dict(ENCODER_OPTIONS[ANIMATED_OUTPUT])
    if spec.quality is not None:
        options["quality"] = spec.quality
    if icc_profile:
        options["icc_profile"] = icc_profile
    buffer = io.BytesIO()
    first, *rest = frames
    first.save(
        buffer,
        format=ANIMATED_OUTPUT,
        save_all=True,
        append_images=rest,
        duration=durations,
        loop=loop,
        **options,
    )
    return AnimatedWebp(buffer.getvalue(), *first.size, tuple(durations), loop)


def _resize(image: Image.Image, spec: VariantSpec, finish: Finisher | None) -> Image.Image:
    size = image.size
    plan = plan_resize(spec, size, size, MAX_DIMENSION_BY_FORMAT[ANIMATED_OUTPUT])
    if plan.box is not None or plan.size != size:
        image = image.resize(plan.size, RESAMPLE, box=plan.box, reducing_gap=REDUCING_GAP)
    return finish(spec, image) if finish is not None else image
