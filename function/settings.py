"""Configuration from environment variables, parsed once per container (cold start).

A bad value raises :class:`ConfigError` naming the variable, so the first invocation of a
misconfigured function fails loudly instead of rejecting every upload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from function.budget import (
    ALPHA_BYTES_PER_PIXEL,
    BYTES_PER_PIXEL,
    MB_PER_VCPU,
    MEBIBYTE,
    ResourceBudget,
)
from function.variant_spec import VariantSpec, parse_variants, variants_to_json
from function.watermark import Watermark, check_variants, parse_watermark

DEFAULT_MEMORY_MB = 1024
# An animated source's WebP holds every frame until the encoder assembles them: measured with
# `python -m bench.animation_memory` (GIFs of 6-48 million frame pixels, WebP method 0), 3.8-5.0 B
# per frame pixel above the baseline; 6 leaves a margin of a fifth. Animations are held to
# MAX_PIXELS scaled by BYTES_PER_PIXEL / this, and never more than the cap: encoding took 215-300
# ms per million frame pixels on an idle core (up to 620 on a busy one), so 40 million take about
# 12 s on one vCPU (21 s at 1024 MB's 0.58 vCPU), inside the default 60 s timeout.
ANIMATION_BYTES_PER_FRAME_PIXEL = 6
ANIMATION_FRAME_PIXEL_CAP = 40_000_000
# The stack's default timeout; Lambda sets no variable for it, so the stack sets TIMEOUT_SECONDS.
DEFAULT_TIMEOUT_SECONDS = 60
# The downloaded object is held in memory; a sixteenth of the function's memory keeps it small
# next to the decoded pixels (64 MiB at 1024 MB).
INPUT_FRACTION = 16
# Below this a default MAX_PIXELS would reject ordinary photos: the memory is too small.
MIN_DEFAULT_PIXELS = 1_000_000
# A second encode thread pays with two vCPUs and only costs memory with one (`make bench`).
ENCODE_THREAD_MIN_VCPUS = 2
# The Cache-Control header of every variant. Variant keys are derived from the source key, so
# uploading over a key overwrites its variants under the same names: a day bounds how long a
# browser or CDN keeps showing the old image, and "immutable" would be wrong.
DEFAULT_CACHE_CONTROL = "public, max-age=86400"
MAX_CACHE_CONTROL_LENGTH = 256
NAME_COLLISIONS: tuple[str, ...] = ("reject", "replace")
TOPIC_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
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
    budget: ResourceBudget
    watermark: Watermark | None = None
    cache_control: str = DEFAULT_CACHE_CONTROL
    notification_topic_arn: str | None = None
    name_collision: Literal["reject", "replace"] = "reject"
    delete_outputs: bool = True


def default_max_input_bytes(memory_mb: int) -> int:
    """Default ``MAX_INPUT_BYTES``: a sixteenth of the function's memory (64 MiB at 1024 MB)."""
    return memory_mb * MEBIBYTE // INPUT_FRACTION


def default_max_pixels(
    memory_mb: int, max_input_bytes: int, timeout_s: int = DEFAULT_TIMEOUT_SECONDS
) -> int:
    """Default ``MAX_PIXELS``: the most opaque source pixels the resource budget admits (the
    memory left under 90% after the baseline and the download at the measured worst case per
    pixel, unless the CPU budget is smaller): 31.9 MP at 1024 MB, 104.5 MP at 3008 MB."""
    budget = ResourceBudget(memory_mb, timeout_s)
    return budget.max_pixels(max_input_bytes, alpha=False)


def alpha_pixel_limit(max_pixels: int) -> int:
    """The pixel limit for a source with transparency under an explicit ``MAX_PIXELS``: scaled by
    the memory per pixel of an opaque source over that of one with alpha."""
    return max_pixels * BYTES_PER_PIXEL // ALPHA_BYTES_PER_PIXEL


def animation_pixel_limit(max_pixels: int) -> int:
    """The frames x pixels budget of an animated source: ``max_pixels`` scaled by the memory per
    pixel of a still over that of every frame held (127.5 million at 1024 MB by default), capped
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
    timeout_s: int = DEFAULT_TIMEOUT_SECONDS,
    name_collision: str = "reject",
    delete_outputs: bool = True,
) -> dict[str, str]:
    """The environment variables the stack sets from its configuration (``PROCESSED_BUCKET``,
    ``NOTIFICATION_TOPIC_ARN`` and Lambda's own variables come from the deployment; the timeout
    is not one of them, so it travels as ``TIMEOUT_SECONDS``); unset values keep their defaults,
    and ``WATERMARK`` is set only with a watermark."""
    env = {
        "VARIANTS": variants_to_json(variants),
        "KEEP_EXIF": "true" if keep_exif else "false",
        "TIMEOUT_SECONDS": str(timeout_s),
        "NAME_COLLISION": name_collision,
        "DELETE_OUTPUTS": "true" if delete_outputs else "false",
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


def smallest_memory_mb(
    max_input_bytes: int | None = None, timeout_s: int = DEFAULT_TIMEOUT_SECONDS
) -> int | None:
    """The least memory size (MB, up to Lambda's 10240) whose default ``MAX_PIXELS`` admits
    ordinary photos (:data:`MIN_DEFAULT_PIXELS`) within ``timeout_s``; ``None`` if none does."""
    for memory_mb in range(128, 10241):
        input_bytes = (
            default_max_input_bytes(memory_mb) if max_input_bytes is None else max_input_bytes
        )
        if default_max_pixels(memory_mb, input_bytes, timeout_s) >= MIN_DEFAULT_PIXELS:
            return memory_mb
    return None


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
    timeout_s = _positive_int(environ, "TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)
    budget = ResourceBudget(memory_mb, timeout_s)
    environ_input_bytes = _positive_int(environ, "MAX_INPUT_BYTES", 0) or None
    max_input_bytes = environ_input_bytes or default_max_input_bytes(memory_mb)
    max_pixels = _positive_int(environ, "MAX_PIXELS", 0)
    if max_pixels:
        max_alpha_pixels = alpha_pixel_limit(max_pixels)
    else:
        max_pixels = budget.max_pixels(max_input_bytes, alpha=False)
        max_alpha_pixels = budget.max_pixels(max_input_bytes, alpha=True)
        if max_pixels < MIN_DEFAULT_PIXELS:
            raise _too_small(memory_mb, timeout_s, max_pixels, environ_input_bytes)
    return Settings(
        processed_bucket=bucket,
        variants=variants,
        max_input_bytes=max_input_bytes,
        max_pixels=max_pixels,
        max_alpha_pixels=max_alpha_pixels,
        max_frame_pixels=animation_pixel_limit(max_pixels),
        keep_exif=_boolean(environ, "KEEP_EXIF"),
        memory_mb=memory_mb,
        encode_thread=uses_encode_thread(memory_mb),
        budget=budget,
        watermark=watermark,
        cache_control=parse_cache_control(environ.get("CACHE_CONTROL")),
        notification_topic_arn=_topic_arn(environ),
        name_collision=_name_collision(environ),
        delete_outputs=_boolean(environ, "DELETE_OUTPUTS", default=True),
    )


def _topic_arn(environ: Mapping[str, str]) -> str | None:
    raw = environ.get("NOTIFICATION_TOPIC_ARN", "").strip()
    if not raw:
        return None
    if not TOPIC_ARN_PATTERN.match(raw):
        raise ConfigError(
            "NOTIFICATION_TOPIC_ARN",
            f"NOTIFICATION_TOPIC_ARN must be an SNS topic ARN or empty (no notifications), "
            f"got {raw!r}",
        )
    return raw


def _name_collision(environ: Mapping[str, str]) -> Literal["reject", "replace"]:
    raw = environ.get("NAME_COLLISION", "").strip().lower() or "reject"
    if raw == "reject":
        return "reject"
    if raw == "replace":
        return "replace"
    raise ConfigError(
        "NAME_COLLISION",
        f"NAME_COLLISION must be one of {', '.join(NAME_COLLISIONS)}, "
        f"got {environ['NAME_COLLISION']!r}",
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


def _too_small(
    memory_mb: int, timeout_s: int, max_pixels: int, max_input_bytes: int | None
) -> ConfigError:
    """The error for a memory size or timeout whose budget admits no ordinary photo, naming
    whichever of the two binds."""
    budget = ResourceBudget(memory_mb, timeout_s)
    input_bytes = max_input_bytes or default_max_input_bytes(memory_mb)
    memory_pixels = ResourceBudget(memory_mb, 10**6).max_pixels(input_bytes, alpha=False)
    if memory_pixels >= MIN_DEFAULT_PIXELS:
        return ConfigError(
            "TIMEOUT_SECONDS",
            f"TIMEOUT_SECONDS={timeout_s} at {memory_mb} MB gives a CPU budget of "
            f"{budget.describe_cpu()}, room for only {max_pixels} pixels per image: "
            "raise the timeout or the memory size, or set MAX_PIXELS",
        )
    smallest = smallest_memory_mb(max_input_bytes, timeout_s)
    return ConfigError(
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        f"AWS_LAMBDA_FUNCTION_MEMORY_SIZE={memory_mb} leaves room for only {max_pixels} "
        f"pixels per image: give the function at least {smallest} MB or set MAX_PIXELS",
    )


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


def _boolean(environ: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in TRUE_VALUES:
        return True
    if raw in FALSE_VALUES:
        return False
    raise ConfigError(name, f"{name} must be true or false, got {environ[name]!r}")
