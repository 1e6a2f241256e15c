"""Configuration from environment variables, parsed once per container (cold start).

A bad value raises :class:`ConfigError` naming the variable, so the first invocation of a
misconfigured function fails loudly instead of rejecting every upload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from variant_spec import VariantSpec, parse_variants

DEFAULT_MEMORY_MB = 1024
# Memory the runtime, Python, boto3 and Pillow use before any image is touched, plus room for the
# downloaded upload and the encoded outputs (measured ~110 MB resident after a warm invocation).
RESERVED_MB = 256
# Peak bytes of memory per source pixel while rendering the default variants, measured at 16 on
# a 20 MP RGBA PNG and 12 on a 20 MP JPEG, rounded up for margin.
BYTES_PER_PIXEL = 24
# The downloaded object is held in memory once; a sixteenth of the function's memory leaves it
# small next to the decoded pixels.
INPUT_FRACTION = 16
MEBIBYTE = 1024 * 1024
TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
FALSE_VALUES = frozenset({"", "0", "false", "no", "off"})


class ConfigError(ValueError):
    """An environment variable holds a value the function cannot run with."""


@dataclass(frozen=True)
class Settings:
    """Everything the handler reads from its environment."""

    processed_bucket: str
    variants: tuple[VariantSpec, ...]
    max_input_bytes: int
    max_pixels: int
    keep_exif: bool
    memory_mb: int


def default_max_input_bytes(memory_mb: int) -> int:
    """Default ``MAX_INPUT_BYTES``: a sixteenth of the function's memory (64 MiB at 1024 MB)."""
    return memory_mb * MEBIBYTE // INPUT_FRACTION


def default_max_pixels(memory_mb: int) -> int:
    """Default ``MAX_PIXELS``: what fits in memory after the reserve, at the measured worst case
    per pixel (33.5 MP at 1024 MB, 117 MP at 3008 MB)."""
    return max(0, memory_mb - RESERVED_MB) * MEBIBYTE // BYTES_PER_PIXEL


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Parse and validate the function's environment; raises :class:`ConfigError`."""
    bucket = environ.get("PROCESSED_BUCKET", "").strip()
    if not bucket:
        raise ConfigError("PROCESSED_BUCKET is required: the bucket the variants are written to")
    try:
        variants = parse_variants(environ.get("VARIANTS"))
    except ValueError as exc:
        raise ConfigError(f"VARIANTS: {exc}") from exc
    memory_mb = _positive_int(environ, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", DEFAULT_MEMORY_MB)
    if memory_mb <= RESERVED_MB:
        raise ConfigError(
            f"AWS_LAMBDA_FUNCTION_MEMORY_SIZE must be above {RESERVED_MB} MB, got {memory_mb}"
        )
    return Settings(
        processed_bucket=bucket,
        variants=variants,
        max_input_bytes=_positive_int(
            environ, "MAX_INPUT_BYTES", default_max_input_bytes(memory_mb)
        ),
        max_pixels=_positive_int(environ, "MAX_PIXELS", default_max_pixels(memory_mb)),
        keep_exif=_boolean(environ, "KEEP_EXIF"),
        memory_mb=memory_mb,
    )


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a positive integer, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be a positive integer, got {raw!r}")
    return value


def _boolean(environ: Mapping[str, str], name: str) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw in TRUE_VALUES:
        return True
    if raw in FALSE_VALUES:
        return False
    raise ConfigError(f"{name} must be true or false, got {environ[name]!r}")
