"""Output sizes: where each variant's pixels come from and how big the output is (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from function.variant_spec import VariantSpec

Size = tuple[int, int]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class ResizePlan:
    """Output ``size`` and the ``box`` of the decoded image it is sampled from (None: all)."""

    size: Size
    box: Box | None


def scale_for(spec: VariantSpec, source: Size) -> float:
    """How much ``spec`` scales a ``source``-sized image (never more than 1: no upscaling)."""
    width, height = source
    if not spec.resizes:
        return 1.0
    if spec.fit == "cover":
        assert spec.max_width is not None and spec.max_height is not None
        return min(1.0, max(spec.max_width / width, spec.max_height / height))
    limits = [
        limit / extent
        for limit, extent in ((spec.max_width, width), (spec.max_height, height))
        if limit is not None
    ]
    return min(1.0, *limits)


def plan_resize(
    spec: VariantSpec, source: Size, decoded: Size, max_dimension: int | None = None
) -> ResizePlan:
    """Plan ``spec`` for an upright ``source`` that was decoded at ``decoded`` (smaller when JPEG
    DCT scaling was used). ``contain`` keeps the aspect ratio within the bounds; ``cover`` fills
    the bounds and crops the centre; neither upscales. ``max_dimension`` (the output format's
    limit) shrinks the result further, keeping its aspect ratio."""
    plan = _plan(spec, source, decoded)
    if max_dimension is None or max(plan.size) <= max_dimension:
        return plan
    factor = max_dimension / max(plan.size)
    size = (max(1, math.floor(plan.size[0] * factor)), max(1, math.floor(plan.size[1] * factor)))
    return ResizePlan(size, plan.box)


def _plan(spec: VariantSpec, source: Size, decoded: Size) -> ResizePlan:
    width, height = source
    scale = scale_for(spec, source)
    if spec.fit == "cover" and spec.resizes:
        assert spec.max_width is not None and spec.max_height is not None
        target_w, target_h = spec.max_width, spec.max_height
        if max(target_w / width, target_h / height) > 1:
            # The source is smaller than the bounds: crop to the bounds' shape at 1:1 instead.
            shrink = max(target_w / width, target_h / height)
            target_w = max(1, min(width, round(target_w / shrink)))
            target_h = max(1, min(height, round(target_h / shrink)))
        crop_w, crop_h = min(width, target_w / scale), min(height, target_h / scale)
        left, top = (width - crop_w) / 2, (height - crop_h) / 2
        fx, fy = decoded[0] / width, decoded[1] / height
        box = (left * fx, top * fy, (left + crop_w) * fx, (top + crop_h) * fy)
        return ResizePlan((target_w, target_h), box)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return ResizePlan(size, None)


def needed_decode_size(variants: tuple[VariantSpec, ...], source: Size, gap: float) -> Size | None:
    """The smallest decode that serves every variant with ``gap`` times their resolution to
    spare, or None when one of them needs the full size."""
    if not all(spec.resizes for spec in variants):
        return None
    scale = min(1.0, max(scale_for(spec, source) for spec in variants) * gap)
    if scale >= 1.0:
        return None
    return (max(1, math.ceil(source[0] * scale)), max(1, math.ceil(source[1] * scale)))
