"""The variant specification: which outputs the function writes for each upload.

Standard library only: the function reads it from the ``VARIANTS`` environment variable and the
Pulumi program imports it to validate the ``variants`` stack config before anything is deployed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

Format = Literal["JPEG", "WEBP", "PNG", "AVIF"]
Fit = Literal["contain", "cover"]

FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "WEBP": ("webp", "image/webp"),
    "PNG": ("png", "image/png"),
    "AVIF": ("avif", "image/avif"),
}
FITS: tuple[str, ...] = ("contain", "cover")
LOSSY_FORMATS: frozenset[str] = frozenset({"JPEG", "WEBP", "AVIF"})
MAX_DIMENSION = 16384
SUFFIX_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_KEYS = frozenset({"suffix", "format", "quality", "max_width", "max_height", "fit"})


@dataclass(frozen=True)
class VariantSpec:
    """One output of the function: ``<name>_<suffix>.<extension>`` in the processed bucket."""

    suffix: str
    format: Format
    quality: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    fit: Fit = "contain"

    @property
    def extension(self) -> str:
        """File extension of the output, without the dot."""
        return FORMATS[self.format][0]

    @property
    def content_type(self) -> str:
        """MIME type stored as the output object's ``ContentType``."""
        return FORMATS[self.format][1]

    @property
    def resizes(self) -> bool:
        """Whether the output is bounded in width or height."""
        return self.max_width is not None or self.max_height is not None

    @property
    def name(self) -> str:
        """The variant's name in manifests and object tags: ``<suffix>.<extension>`` (unique
        among the configured variants)."""
        return f"{self.suffix}.{self.extension}"

    def output_key(self, source_key: str) -> str:
        """Key of this output for ``source_key``, keeping its prefix: ``dir/a.jpg`` ->
        ``dir/a_<suffix>.<ext>``."""
        return sibling_key(source_key, f"{self.suffix}.{self.extension}")


def sibling_key(source_key: str, tail: str) -> str:
    """The processed-bucket key ``<dir>/<stem>_<tail>`` for ``source_key`` (its folder kept, its
    extension dropped): every output of one source is named this way."""
    prefix, _, filename = source_key.rpartition("/")
    stem = filename.rsplit(".", 1)[0] if "." in filename[1:] else filename
    name = f"{stem}_{tail}"
    return f"{prefix}/{name}" if prefix else name


DEFAULT_VARIANTS: tuple[VariantSpec, ...] = (
    VariantSpec("compressed", "JPEG", quality=85),
    VariantSpec("low_quality", "JPEG", quality=50),
    VariantSpec("converted", "WEBP", quality=80),
    VariantSpec("converted", "PNG"),
    VariantSpec("thumbnail", "JPEG", quality=85, max_width=150, max_height=150),
)


def parse_variants(raw: str | Sequence[Any] | None) -> tuple[VariantSpec, ...]:
    """Parse a JSON list (or an already-decoded list) of variant objects.

    ``None`` or an empty string gives :data:`DEFAULT_VARIANTS`. Raises :class:`ValueError` with a
    message naming the entry and the field at fault.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return DEFAULT_VARIANTS
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"variants is not valid JSON: {exc}") from exc
    if not isinstance(raw, list) or not raw:
        raise ValueError("variants must be a non-empty JSON list of objects")
    variants = tuple(_parse_one(index, entry) for index, entry in enumerate(raw))
    seen: set[tuple[str, str]] = set()
    for index, variant in enumerate(variants):
        name = (variant.suffix, variant.extension)
        if name in seen:
            raise ValueError(
                f"variants[{index}]: suffix {variant.suffix!r} with format {variant.format} "
                "repeats an earlier entry (output names must be unique)"
            )
        seen.add(name)
    return variants


def variants_to_json(variants: Sequence[VariantSpec]) -> str:
    """Serialise variants to the compact JSON the ``VARIANTS`` environment variable carries."""
    entries = [{k: v for k, v in asdict(variant).items() if v is not None} for variant in variants]
    return json.dumps(entries, separators=(",", ":"), sort_keys=True)


def _parse_one(index: int, entry: Any) -> VariantSpec:
    where = f"variants[{index}]"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be an object, got {type(entry).__name__}")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise ValueError(f"{where} has unknown field(s) {unknown}; allowed: {sorted(_KEYS)}")
    suffix = entry.get("suffix")
    if not isinstance(suffix, str) or not SUFFIX_PATTERN.match(suffix):
        raise ValueError(f"{where}.suffix must be 1-64 letters, digits, '_' or '-', got {suffix!r}")
    fmt = entry.get("format")
    fmt = fmt.upper() if isinstance(fmt, str) else fmt
    if fmt == "JPG":
        fmt = "JPEG"
    if fmt not in FORMATS:
        raise ValueError(f"{where}.format must be one of {sorted(FORMATS)}, got {fmt!r}")
    quality = _optional_int(entry, "quality", where, 1, 100)
    if quality is not None and fmt not in LOSSY_FORMATS:
        raise ValueError(f"{where}.quality applies to {sorted(LOSSY_FORMATS)} only, not {fmt}")
    if quality is None and fmt in LOSSY_FORMATS:
        quality = 80
    fit = entry.get("fit", "contain")
    if fit not in FITS:
        raise ValueError(f"{where}.fit must be one of {list(FITS)}, got {fit!r}")
    max_width = _optional_int(entry, "max_width", where, 1, MAX_DIMENSION)
    max_height = _optional_int(entry, "max_height", where, 1, MAX_DIMENSION)
    if fit == "cover" and (max_width is None or max_height is None):
        raise ValueError(f"{where}.fit 'cover' needs both max_width and max_height")
    return VariantSpec(suffix, fmt, quality, max_width, max_height, fit)


def _optional_int(entry: dict[str, Any], key: str, where: str, low: int, high: int) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{where}.{key} must be an integer from {low} to {high}, got {value!r}")
    return value
