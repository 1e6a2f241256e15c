"""What every implementation under test returns: one record per written variant."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from function.variant_spec import DEFAULT_VARIANTS, VariantSpec

__all__ = ["DEFAULT_VARIANTS", "Output", "VariantSpec", "bounding_box"]

# Pillow's thumbnail and libvips' thumbnail both want a finite box; 'no bound' is the format limit.
UNBOUNDED = 16384


@dataclass(frozen=True)
class Output:
    """One encoded variant: object name, format, pixel size and encoded bytes."""

    name: str
    format: str
    width: int
    height: int
    size: int

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the worker's JSON report."""
        return asdict(self)


def bounding_box(variant: VariantSpec) -> tuple[int, int]:
    """The ``(width, height)`` box a resizing variant fits into."""
    return (variant.max_width or UNBOUNDED, variant.max_height or UNBOUNDED)
