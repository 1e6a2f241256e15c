"""Configuration from environment variables, parsed once per container (cold start).

A bad value raises :class:`ConfigError` naming the variable, so the first invocation of a
misconfigured function fails loudly instead of rejecting every upload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from function.variant_spec import VariantSpec, parse_variants, variants_to_json
from function.watermark import Watermark, check_variants, parse_watermark

DEFAULT_MEMORY_MB = 1024
# Resident memory of the runtime, Python, boto3 and Pillow before any image is touched (measured
# ~60 MB locally after importing the handler; the Lambda runtime adds its own), with room to spare.
BASELINE_MB = 128
# Peak memory per source pixel above that baseline while rendering the default variants, measured
# on 20 MP sources: 25 B/px for an RGBA PNG (WebP's lossless alpha encoder dominates), 11 for a
# CMYK JPEG, 10 for an RGB JPEG; 28 leaves a margin of a tenth over the worst case. With the PNG
# thread (two vCPUs and more) the PNG's buffer overlaps the other encodes: 26.5, 12 and 11.
BYTES_PER_PIXEL = 28
# Sources with transparency peak higher: measured on 9 MP sources whose alpha (or every channel)
# is noise, 34 B/px single-threaded and 41.5 with the PNG thread (RGBA and LA alike); 46 leaves a
# tenth over that. Such sources are held to MAX_PIXELS scaled by BYTES_PER_PIXEL / this.
ALPHA_BYTES_PER_PIXEL = 46
# An animated source's WebP holds every frame until the encoder assembles them: measured with
# `python -m bench.animation_memory` (GIFs of 6-48 million frame pixels, WebP method 0), 3.8-5.0 B
# per frame pixel above the baseline; 6 leaves a margin of a fifth. Animations are held to
# MAX_PIXELS scaled by BYTES_PER_PIXEL / this, and never more than the cap: encoding took 215-300
# ms per million frame pixels on an idle core (up to 620 on a busy one), so 40 million take about
# 12 s on one vCPU (21 s at 1024 MB's 0.58 vCPU), inside the default 60 s timeout.
ANIMATION_BYTES_PER_FRAME_PIXEL = 6
ANIMATION_FRAME_PIXEL_CAP = 40_000_000
# The downloaded object is held in memory; a sixteenth of the function's memory keeps it small
# next to the decoded pixels (64 MiB at 1024 MB).
INPUT_FRACTION = 16
# Below this a default MAX_PIXELS would reject ordinary photos: the memory is too small.
MIN_DEFAULT_PIXELS = 1_000_000
MEBIBYTE = 1024 * 1024
# Lambda allocates CPU in proportion to memory: 1769 MB is one vCPU (10240 MB, the most, is six).
MB_PER_VCPU = 1769
# A second encode thread pays with two vCPUs and only costs memory with one (`make bench`).
ENCODE_THREAD_MIN_VCPUS = 2
# The Cache-Control header of every variant. Variant keys are derived from the source key, so
# uploading over a key overwrites its variants under the same names: a day bounds how long a
# browser or CDN keeps showing the old image, and "immutable" would be wrong.
DEFAULT_CACHE_CONTROL = "public, max-age=86400"
MAX_CACHE_CONTROL_LENGTH = 256
TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
FALSE_VALUES = frozenset({"", "0", "false", "no", "off"})


class ConfigError(ValueError):
    """An environment variable holds a value the function cannot run with; ``variable`` names
    it and ``str()`` says why."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(message)
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    """Everything the handler reads from its environment."""

    processed_bucket: str
    variants: tuple[VariantSpec, ...]
    max_input_bytes: int
    max_pixels: int
    max_alpha_pixels: int
    max_frame_pixels: int
    keep_exif: bool
    memory_mb: int
    encode_thread: bool
    watermark: Watermark | None = None
    cache_control: str = DEFAULT_CACHE_CONTROL


def default_max_input_bytes(memory_mb: int) -> int:
    """Default ``MAX_INPUT_BYTES``: a sixteenth of the function's memory (64 MiB at 1024 MB)."""
    return memory_mb * MEBIBYTE // INPUT_FRACTION


def default_max_pixels(memory_mb: int, max_input_bytes: int) -> int:
    """Default ``MAX_PIXELS``: the memory left after the baseline and the downloaded object, at
    the measured worst case per pixel (31.2 MP at 1024 MB, 100.8 MP at 3008 MB)."""
    available = memory_mb * MEBIBYTE - BASELINE_MB * MEBIBYTE - max_input_bytes
    return max(0, available) // BYTES_PER_PIXEL


def alpha_pixel_limit(max_pixels: int) -> int:
    """The pixel limit for a source with transparency: ``max_pixels`` scaled by the memory per
    pixel of an opaque source over that of one with alpha (20.3 MP at 1024 MB by default)."""
    return max_pixels * BYTES_PER_PIXEL // ALPHA_BYTES_PER_PIXEL


def animation_pixel_limit(max_pixels: int) -> int:
    """The frames x pixels budget of an animated source: ``max_pixels`` scaled by the memory per
    pixel of a still over that of every frame held (145.4 million at 1024 MB by default), capped
    at :data:`ANIMATION_FRAME_PIXEL_CAP` for time."""
    scaled = max_pixels * BYTES_PER_PIXEL // ANIMATION_BYTES_PER_FRAME_PIXEL
    return min(scaled, ANIMATION_FRAME_PIXEL_CAP)


def uses_encode_thread(memory_mb: int) -> bool:
    """Whether the PNG is encoded on a second thread while the main one encodes the rest.

    Lambda gives a function CPU in proportion to its memory, one vCPU per 1769 MB, so two whole
    vCPUs from 3538 MB on. Measured with ``make bench`` (8 photos, median wall time), the thread
    makes the handler 1.27x faster on two cores and 1.01x on one, where it only adds memory; so the
    threshold is two vCPUs (3008 MB, 1.7 vCPUs, stays single-threaded: untested on whole cores).
    """
    return memory_mb >= ENCODE_THREAD_MIN_VCPUS * MB_PER_VCPU


def configured_environment(
    *,
    variants: Sequence[VariantSpec],
    keep_exif: bool,
    max_input_bytes: int | None = None,
    max_pixels: int | None = None,
    watermark: Watermark | None = None,
    cache_control: str | None = None,
) -> dict[str, str]:
    """The environment variables the stack sets from its configuration (``PROCESSED_BUCKET``
    and Lambda's own variables come from the deployment); unset values keep their defaults, and
    ``WATERMARK`` is set only with a watermark."""
    env = {
        "VARIANTS": variants_to_json(variants),
        "KEEP_EXIF": "true" if keep_exif else "false",
    }
    if max_input_bytes is not None:
        env["MAX_INPUT_BYTES"] = str(max_input_bytes)
    if max_pixels is not None:
        env["MAX_PIXELS"] = str(max_pixels)
    if watermark is not None:
        env["WATERMARK"] = watermark.to_json()
    if cache_control is not None:
        env["CACHE_CONTROL"] = cache_control
    return env


def smallest_memory_mb(max_input_bytes: int | None = None) -> int:
    """The least memory size (MB) whose default ``MAX_PIXELS`` admits ordinary photos
    (:data:`MIN_DEFAULT_PIXELS`); a smaller function fails at every cold start."""
    memory_mb = BASELINE_MB
    while True:
        input_bytes = (
            default_max_input_bytes(memory_mb) if max_input_bytes is None else max_input_bytes
        )
        if default_max_pixels(memory_mb, input_bytes) >= MIN_DEFAULT_PIXELS:
            return memory_mb
        memory_mb += 1


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Parse and validate the function's environment; raises :class:`ConfigError`."""
    bucket = environ.get("PROCESSED_BUCKET", "").strip()
    if not bucket:
        raise ConfigError(
            "PROCESSED_BUCKET",
            "PROCESSED_BUCKET is required: the bucket the variants are written to",
        )
    try:
        variants = parse_variants(environ.get("VARIANTS"))
    except ValueError as exc:
        raise ConfigError("VARIANTS", f"VARIANTS: {exc}") from exc
    try:
        watermark = parse_watermark(environ.get("WATERMARK"))
        check_variants(watermark, variants)
    except ValueError as exc:
        raise ConfigError("WATERMARK", f"WATERMARK: {exc}") from exc
    memory_mb = _positive_int(environ, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", DEFAULT_MEMORY_MB)
    environ_input_bytes = _positive_int(environ, "MAX_INPUT_BYTES", 0) or None
    max_input_bytes = environ_input_bytes or default_max_input_bytes(memory_mb)
    max_pixels = _positive_int(environ, "MAX_PIXELS", 0)
    if not max_pixels:
        max_pixels = default_max_pixels(memory_mb, max_input_bytes)
        if max_pixels < MIN_DEFAULT_PIXELS:
            raise ConfigError(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                f"AWS_LAMBDA_FUNCTION_MEMORY_SIZE={memory_mb} leaves room for only {max_pixels} "
                f"pixels per image: give the function at least "
                f"{smallest_memory_mb(environ_input_bytes)} MB or set MAX_PIXELS",
            )
    return Settings(
        processed_bucket=bucket,
        variants=variants,
        max_input_bytes=max_input_bytes,
        max_pixels=max_pixels,
        max_alpha_pixels=alpha_pixel_limit(max_pixels),
        max_frame_pixels=animation_pixel_limit(max_pixels),
        keep_exif=_boolean(environ, "KEEP_EXIF"),
        memory_mb=memory_mb,
        encode_thread=uses_encode_thread(memory_mb),
        watermark=watermark,
        cache_control=parse_cache_control(environ.get("CACHE_CONTROL")),
    )


def parse_cache_control(raw: str | None) -> str:
    """``CACHE_CONTROL``: the header value written on every variant (blank or unset for
    :data:`DEFAULT_CACHE_CONTROL`); printable ASCII, at most 256 characters."""
    value = (raw or "").strip()
    if not value:
        return DEFAULT_CACHE_CONTROL
    if len(value) > MAX_CACHE_CONTROL_LENGTH or not all(" " <= char <= "~" for char in value):
        raise ConfigError(
            "CACHE_CONTROL",
            f"CACHE_CONTROL must be printable ASCII of at most {MAX_CACHE_CONTROL_LENGTH} "
            f"characters (a Cache-Control header value), got {raw!r}",
        )
    return value


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"{name} must be a positive integer, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(name, f"{name} must be a positive integer, got {raw!r}")
    return value


def _boolean(environ: Mapping[str, str], name: str) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw in TRUE_VALUES:
        return True
    if raw in FALSE_VALUES:
        return False
    raise ConfigError(name, f"{name} must be true or false, got {environ[name]!r}")
