"""The watermark: its specification (the ``WATERMARK`` variable's JSON, checked field by field)
and the mark drawn on an output's pixels after resizing.

A mark is a ``text`` in the bundled DejaVu Sans Bold or an ``image`` (a PNG under
``function/assets/``, packaged with the function), sized relative to each output's width, placed
in a corner, the centre or tiled, at an ``opacity``. Drawing is deterministic: same pixels and
specification in, same pixels out (text uses Pillow's basic layout, no system fonts or shaping).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from function.variant_spec import VariantSpec

# The directory holding the ``function`` package: the repository root locally, the archive's root
# on Lambda. Image paths are relative to it and must lie under ASSETS.
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
ASSETS = "function/assets/"
FONT = PACKAGE_ROOT / "function" / "assets" / "fonts" / "DejaVuSans-Bold.ttf"
POSITIONS: tuple[str, ...] = (
    "top-left",
    "top-right",
    "bottom-left",
    "bottom-right",
    "center",
    "tiled",
)
DEFAULT_EXCLUDED_SUFFIX = "thumbnail"
DEFAULT_TEXT_SIZE = 0.05
DEFAULT_IMAGE_SIZE = 0.2
DEFAULT_OPACITY = 0.5
DEFAULT_MARGIN = 0.02
MAX_TEXT_LENGTH = 200
MAX_MARK_SIDE = 4096
COLOUR_LENGTH = 7  # "#rrggbb"
_KEYS = frozenset({"text", "image", "size", "position", "opacity", "margin", "color", "variants"})


@dataclass(frozen=True)
class Watermark:
    """A validated watermark; ``mark`` is the loaded image of an ``image`` watermark."""

    text: str | None
    image: str | None
    size: float
    position: str
    opacity: float
    margin: float
    color: tuple[int, int, int]
    variants: tuple[str, ...] | None
    mark: Image.Image | None = None

    def applies_to(self, spec: VariantSpec) -> bool:
        """Whether the output ``spec`` gets the mark (all but the thumbnail by default)."""
        if self.variants is None:
            return spec.suffix != DEFAULT_EXCLUDED_SUFFIX
        return spec.suffix in self.variants

    def to_json(self) -> str:
        """The compact JSON the ``WATERMARK`` variable carries (every field explicit)."""
        entry: dict[str, Any] = {
            "size": self.size,
            "position": self.position,
            "opacity": self.opacity,
            "margin": self.margin,
        }
        if self.text is not None:
            entry["text"] = self.text
            entry["color"] = "#{:02x}{:02x}{:02x}".format(*self.color)
        if self.image is not None:
            entry["image"] = self.image
        if self.variants is not None:
            entry["variants"] = list(self.variants)
        return json.dumps(entry, separators=(",", ":"), sort_keys=True)


def parse_watermark(
    raw: str | dict[str, Any] | None, root: Path = PACKAGE_ROOT
) -> Watermark | None:
    """Parse a watermark object (JSON text or already decoded); ``None`` or ``""`` is no
    watermark. An ``image`` is loaded from ``root`` to check it. Raises :class:`ValueError`
    naming the field at fault (``watermark.<field>``)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"watermark is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"watermark must be a JSON object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ValueError(f"watermark has unknown field(s) {unknown}; allowed: {sorted(_KEYS)}")
    text, image = raw.get("text"), raw.get("image")
    if (text is None) == (image is None):
        raise ValueError("watermark needs exactly one of watermark.text or watermark.image")
    if text is not None and (not isinstance(text, str) or not 0 < len(text) <= MAX_TEXT_LENGTH):
        raise ValueError(f"watermark.text must be 1-{MAX_TEXT_LENGTH} characters, got {text!r}")
    mark = _load_mark(image, root) if image is not None else None
    default_size = DEFAULT_TEXT_SIZE if text is not None else DEFAULT_IMAGE_SIZE
    position = raw.get("position", "bottom-right")
    if position not in POSITIONS:
        raise ValueError(f"watermark.position must be one of {list(POSITIONS)}, got {position!r}")
    if "color" in raw and text is None:
        raise ValueError("watermark.color applies to a text watermark only")
    return Watermark(
        text=text,
        image=image,
        size=_fraction(raw, "size", default_size, above_zero=True, high=1.0),
        position=position,
        opacity=_fraction(raw, "opacity", DEFAULT_OPACITY, above_zero=True, high=1.0),
        margin=_fraction(raw, "margin", DEFAULT_MARGIN, above_zero=False, high=0.5),
        color=_colour(raw.get("color", "#ffffff")),
        variants=_variants(raw.get("variants")),
        mark=mark,
    )


def check_variants(watermark: Watermark | None, variants: Sequence[VariantSpec]) -> None:
    """Raise :class:`ValueError` when ``watermark.variants`` names a suffix no variant has."""
    if watermark is None or watermark.variants is None:
        return
    suffixes = {spec.suffix for spec in variants}
    missing = [name for name in watermark.variants if name not in suffixes]
    if missing:
        raise ValueError(
            f"watermark.variants names {missing}, which no variant has "
            f"(suffixes: {sorted(suffixes)})"
        )


def apply_watermark(watermark: Watermark, image: Image.Image) -> Image.Image:
    """A copy of ``image`` (L, LA, RGB or RGBA) with the mark drawn, scaled to its width."""
    width, height = image.size
    mark = _mark_for(watermark, width)
    margin = round(watermark.margin * width)
    if mark.width > max(1, width - 2 * margin) or mark.height > max(1, height - 2 * margin):
        scale = min((width - 2 * margin) / mark.width, (height - 2 * margin) / mark.height)
        if scale <= 0:
            return image
        mark = mark.resize(
            (max(1, math.floor(mark.width * scale)), max(1, math.floor(mark.height * scale))),
            Image.Resampling.LANCZOS,
        )
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    for place in _places(watermark.position, image.size, mark.size, margin):
        layer.paste(mark, place)
    marked = Image.alpha_composite(image.convert("RGBA"), layer)
    return marked if image.mode == "RGBA" else marked.convert(image.mode)


def watermark_finisher(
    watermark: Watermark | None,
) -> Callable[[VariantSpec, Image.Image], Image.Image] | None:
    """The ``finish`` step (a ``rendering.Finisher``) for the stills and the animated WebPs, or
    ``None`` without a watermark."""
    if watermark is None:
        return None

    def finish(spec: VariantSpec, image: Image.Image) -> Image.Image:
        return apply_watermark(watermark, image) if watermark.applies_to(spec) else image

    return finish


def _mark_for(watermark: Watermark, width: int) -> Image.Image:
    """The mark at the size it takes on an output ``width`` pixels wide, alpha x opacity."""
    if watermark.mark is not None:
        mark_width = max(1, round(watermark.size * width))
        mark_height = max(1, round(watermark.mark.height * mark_width / watermark.mark.width))
        mark = watermark.mark.resize((mark_width, mark_height), Image.Resampling.LANCZOS)
        alpha = mark.getchannel("A").point(lambda value: round(value * watermark.opacity))
        mark.putalpha(alpha)
        return mark
    assert watermark.text is not None
    font = ImageFont.truetype(
        str(FONT), max(1, round(watermark.size * width)), layout_engine=ImageFont.Layout.BASIC
    )
    left, top, right, bottom = font.getbbox(watermark.text)
    mark = Image.new("RGBA", (max(1, right - left), max(1, bottom - top)), (0, 0, 0, 0))
    fill = (*watermark.color, round(255 * watermark.opacity))
    ImageDraw.Draw(mark).text((-left, -top), watermark.text, font=font, fill=fill)
    return mark


def _places(
    position: str, size: tuple[int, int], mark: tuple[int, int], margin: int
) -> list[tuple[int, int]]:
    (width, height), (mark_w, mark_h) = size, mark
    right, bottom = width - margin - mark_w, height - margin - mark_h
    corners = {
        "top-left": (margin, margin),
        "top-right": (right, margin),
        "bottom-left": (margin, bottom),
        "bottom-right": (right, bottom),
        "center": ((width - mark_w) // 2, (height - mark_h) // 2),
    }
    if position in corners:
        return [corners[position]]
    step_x, step_y = mark_w + max(1, margin), mark_h + max(1, margin)
    return [
        (x, y)
        for y in range(margin, height - mark_h + 1, step_y)
        for x in range(margin, width - mark_w + 1, step_x)
    ]


def _load_mark(image: Any, root: Path) -> Image.Image:
    allowed = f"a PNG path under {ASSETS} (relative to the repository, packaged with the function)"
    if (
        not isinstance(image, str)
        or not image.startswith(ASSETS)
        or not image.lower().endswith(".png")
        or ".." in Path(image).parts
    ):
        raise ValueError(f"watermark.image must be {allowed}, got {image!r}")
    path = root / image
    try:
        with Image.open(path, formats=["PNG"]) as opened:
            if max(opened.size) > MAX_MARK_SIDE:
                raise ValueError(
                    f"watermark.image {image!r} is {opened.width}x{opened.height}: at most "
                    f"{MAX_MARK_SIDE} pixels a side"
                )
            return opened.convert("RGBA")
    except (OSError, Image.UnidentifiedImageError) as exc:
        raise ValueError(f"watermark.image {image!r} cannot be read as a PNG: {exc}") from exc


def _fraction(
    raw: dict[str, Any], key: str, default: float, *, above_zero: bool, high: float
) -> float:
    value = raw.get(key, default)
    number = not isinstance(value, bool) and isinstance(value, int | float)
    low_ok = number and ((value > 0) if above_zero else (value >= 0))
    if not low_ok or value > high:
        bound = "above 0" if above_zero else "from 0"
        raise ValueError(
            f"watermark.{key} must be a number {bound} and at most {high:g}, got {value!r}"
        )
    return float(value)


def _colour(value: Any) -> tuple[int, int, int]:
    text = value if isinstance(value, str) else ""
    try:
        if len(text) != COLOUR_LENGTH or text[0] != "#":
            raise ValueError
        return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))
    except ValueError:
        raise ValueError(f"watermark.color must be '#rrggbb', got {value!r}") from None


def _variants(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(
            f"watermark.variants must be a non-empty list of variant suffixes, got {value!r}"
        )
    return tuple(value)
