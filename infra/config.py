"""Stack configuration: every ``image-pipeline:`` key parsed and validated before any resource.

Pure logic: :func:`load_settings` reads any object with a ``get(key) -> str | None`` method (a
``pulumi.Config`` or a plain dict) and returns a frozen :class:`StackSettings`. Defaults live
here as well as in ``Pulumi.yaml`` because the CLI applies the project's schema defaults but
Pulumi's mocks and ``pulumi.Config`` readers elsewhere do not. The ``Pulumi.yaml`` defaults that
mean "unset" (``""``, ``-1``, ``0``, ``[]``) are read as unset here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi

from function.settings import (
    DEFAULT_MEMORY_MB,
    NAME_COLLISIONS,
    configured_environment,
    parse_cache_control,
)
from function.settings import ConfigError as FunctionConfigError
from function.settings import Settings as FunctionSettings
from function.settings import load_settings as load_function_settings
from function.variant_spec import DEFAULT_VARIANTS, VariantSpec, parse_variants
from function.watermark import Watermark, parse_watermark

NAMESPACE = "image-pipeline"
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
ARCHITECTURES: tuple[str, ...] = ("x86_64", "arm64")
# The values CloudWatch Logs' PutRetentionPolicy accepts.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
KMS_KEY_ALLOWED = "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)"
MEMORY_RANGE = (128, 10240)
TIMEOUT_RANGE = (1, 900)
NONCURRENT_DAYS_RANGE = (1, 3650)
RETRY_RANGE = (0, 2)
EVENT_AGE_RANGE = (60, 21600)
MAX_PREFIX_LENGTH = 1024
INGEST_MODES: tuple[str, ...] = ("direct", "queue")
# SQS event source mapping limits: batches over 10 need a batching window; maximumConcurrency
# is 2 to 1000; an SQS queue keeps messages at most 14 days.
QUEUE_BATCH_RANGE = (1, 10000)
QUEUE_UNWINDOWED_BATCH = 10
QUEUE_WINDOW_RANGE = (0, 300)
QUEUE_CONCURRENCY_RANGE = (2, 1000)
QUEUE_RECEIVE_RANGE = (1, 1000)
QUEUE_AGE_ALARM_RANGE = (60, 14 * 24 * 3600)
# The function's environment variable -> the stack key it comes from.
FUNCTION_VARIABLE_KEYS = {
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "memorySize",
    "MAX_INPUT_BYTES": "maxInputBytes",
    "MAX_PIXELS": "maxPixels",
    "VARIANTS": "variants",
    "KEEP_EXIF": "keepExif",
    "WATERMARK": "watermark",
    "CACHE_CONTROL": "cacheControl",
    "TIMEOUT_SECONDS": "timeout",
    "NAME_COLLISION": "nameCollision",
    "DELETE_OUTPUTS": "deleteOutputs",
}
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
KMS_KEY_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
# CloudFront only takes certificates from ACM in us-east-1.
CERTIFICATE_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[A-Za-z0-9-]+$"
)
DOMAIN_NAME_PATTERN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)


class ConfigSource(Protocol):
    """What :func:`load_settings` reads: ``pulumi.Config`` and ``dict`` both fit."""

    def get(self, key: str) -> Any: ...


class StackConfigError(pulumi.RunError, ValueError):
    """One or more configuration values are invalid; the message names each key and value."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid stack configuration: " + "; ".join(problems))


@dataclass(frozen=True)
class StackSettings:
    """Validated stack settings; every field has the default a bare stack gets."""

    environment: str = "dev"
    memory_size: int = DEFAULT_MEMORY_MB
    timeout: int = 60
    log_retention_days: int = 7
    architecture: str = "x86_64"
    force_destroy: bool = False
    noncurrent_version_days: int = 30
    max_retry_attempts: int = 2
    max_event_age_seconds: int = 21600
    reserved_concurrency: int | None = None
    upload_prefix: str = ""
    upload_suffixes: tuple[str, ...] = ()
    alarm_email: str | None = None
    kms_key_arn: str | None = None
    variants: tuple[VariantSpec, ...] = field(default=DEFAULT_VARIANTS)
    max_input_bytes: int | None = None
    max_pixels: int | None = None
    keep_exif: bool = False
    watermark: Watermark | None = None
    cache_control: str | None = None
    cdn: bool = False
    cdn_domain_name: str | None = None
    cdn_certificate_arn: str | None = None
    ingest: str = "direct"
    queue_batch_size: int = 10
    queue_batch_window_seconds: int = 0
    queue_max_concurrency: int = 10
    queue_max_receive_count: int = 5
    queue_age_alarm_seconds: int = 3600
    notifications: bool = True
    delete_outputs: bool = True
    name_collision: str = "reject"


class _Reader:
    """Reads raw values from a config source and collects every problem found."""

    def __init__(self, source: ConfigSource) -> None:
        self.source = source
        self.problems: list[str] = []

    def raw(self, key: str) -> Any:
        value = self.source.get(key)
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def fail(self, key: str, value: Any, allowed: str) -> None:
        self.problems.append(f"{NAMESPACE}:{key} = {value!r} is not allowed: expected {allowed}")

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.raw(key)
        if value is None:
            return default
        if value not in choices:
            self.fail(key, value, "one of " + ", ".join(choices))
            return default
        return value

    def integer(self, key: str, default: int | None, allowed: str) -> int | None:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            self.fail(key, value, allowed)
            return default
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"-?\d+", text):
            self.fail(key, value, allowed)
            return default
        return int(text)

    def bounded(self, key: str, default: int, bounds: tuple[int, int]) -> int:
        low, high = bounds
        allowed = f"an integer from {low} to {high}"
        number = self.integer(key, default, allowed)
        if number is None or not low <= number <= high:
            self.fail(key, self.raw(key), allowed)
            return default
        return number

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "false"):
            return text == "true"
        self.fail(key, value, "true or false")
        return default


def load_settings(source: ConfigSource) -> StackSettings:
    """Read and validate every ``image-pipeline:`` key from ``source``.

    Raises :class:`StackConfigError` naming every bad key, its value and what is allowed.
    """
    reader = _Reader(source)
    defaults = StackSettings()
    settings = StackSettings(
        environment=reader.choice("environment", defaults.environment, ENVIRONMENTS),
        memory_size=reader.bounded("memorySize", defaults.memory_size, MEMORY_RANGE),
        timeout=reader.bounded("timeout", defaults.timeout, TIMEOUT_RANGE),
        log_retention_days=_retention(reader, defaults.log_retention_days),
        architecture=reader.choice("architecture", defaults.architecture, ARCHITECTURES),
        force_destroy=reader.boolean("forceDestroy", defaults.force_destroy),
        noncurrent_version_days=reader.bounded(
            "noncurrentVersionDays", defaults.noncurrent_version_days, NONCURRENT_DAYS_RANGE
        ),
        max_retry_attempts=reader.bounded(
            "maxRetryAttempts", defaults.max_retry_attempts, RETRY_RANGE
        ),
        max_event_age_seconds=reader.bounded(
            "maxEventAgeSeconds", defaults.max_event_age_seconds, EVENT_AGE_RANGE
        ),
        reserved_concurrency=_reserved_concurrency(reader),
        upload_prefix=_upload_prefix(reader),
        upload_suffixes=_upload_suffixes(reader),
        alarm_email=_matching(reader, "alarmEmail", EMAIL_PATTERN, "an email address"),
        kms_key_arn=_matching(reader, "kmsKeyArn", KMS_KEY_ARN_PATTERN, KMS_KEY_ALLOWED),
        variants=_variants(reader),
        max_input_bytes=_optional_positive(reader, "maxInputBytes"),
        max_pixels=_optional_positive(reader, "maxPixels"),
        keep_exif=reader.boolean("keepExif", defaults.keep_exif),
        watermark=_watermark(reader),
        cache_control=_cache_control(reader),
        cdn=reader.boolean("cdn", defaults.cdn),
        cdn_domain_name=_matching(reader, "cdnDomainName", DOMAIN_NAME_PATTERN, "a domain name"),
        cdn_certificate_arn=_matching(
            reader,
            "cdnCertificateArn",
            CERTIFICATE_ARN_PATTERN,
            "an ACM certificate ARN in us-east-1",
        ),
        ingest=reader.choice("ingest", defaults.ingest, INGEST_MODES),
        queue_batch_size=reader.bounded(
            "queueBatchSize", defaults.queue_batch_size, QUEUE_BATCH_RANGE
        ),
        queue_batch_window_seconds=reader.bounded(
            "queueBatchWindowSeconds", defaults.queue_batch_window_seconds, QUEUE_WINDOW_RANGE
        ),
        queue_max_concurrency=reader.bounded(
            "queueMaxConcurrency", defaults.queue_max_concurrency, QUEUE_CONCURRENCY_RANGE
        ),
        queue_max_receive_count=reader.bounded(
            "queueMaxReceiveCount", defaults.queue_max_receive_count, QUEUE_RECEIVE_RANGE
        ),
        queue_age_alarm_seconds=reader.bounded(
            "queueAgeAlarmSeconds", defaults.queue_age_alarm_seconds, QUEUE_AGE_ALARM_RANGE
        ),
        notifications=reader.boolean("notifications", defaults.notifications),
        delete_outputs=reader.boolean("deleteOutputs", defaults.delete_outputs),
        name_collision=reader.choice("nameCollision", defaults.name_collision, NAME_COLLISIONS),
    )
    _check_combinations(reader, settings)
    if not reader.problems:
        _check_function_accepts(reader, settings)
    if reader.problems:
        raise StackConfigError(reader.problems)
    return settings


def _check_combinations(reader: _Reader, settings: StackSettings) -> None:
    """Keys that are valid alone but not together."""
    custom_domain = (settings.cdn_domain_name, settings.cdn_certificate_arn)
    if any(custom_domain) and not all(custom_domain):
        reader.problems.append(
            "cdnDomainName and cdnCertificateArn: set both (a custom domain needs its certificate)"
        )
    if any(custom_domain) and not settings.cdn:
        reader.problems.append("cdnDomainName and cdnCertificateArn need cdn = true")
    window = settings.queue_batch_window_seconds
    if settings.queue_batch_size > QUEUE_UNWINDOWED_BATCH and window < 1:
        reader.problems.append(
            f"queueBatchSize: {settings.queue_batch_size} is over {QUEUE_UNWINDOWED_BATCH}, "
            "which SQS allows only with queueBatchWindowSeconds of 1 or more"
        )
    reserved = settings.reserved_concurrency
    if settings.ingest == "queue" and reserved and reserved < settings.queue_max_concurrency:
        reader.problems.append(
            f"queueMaxConcurrency: {settings.queue_max_concurrency} is over reservedConcurrency "
            f"{reserved}; the queue poller would be throttled: lower it or raise the reservation"
        )


def function_environment(settings: StackSettings) -> dict[str, str]:
    """The function's environment variables that come from configuration alone."""
    return configured_environment(
        variants=settings.variants,
        keep_exif=settings.keep_exif,
        max_input_bytes=settings.max_input_bytes,
        max_pixels=settings.max_pixels,
        watermark=settings.watermark,
        cache_control=settings.cache_control,
        timeout_s=settings.timeout,
        name_collision=settings.name_collision,
        delete_outputs=settings.delete_outputs,
    )


def function_settings_for(settings: StackSettings) -> FunctionSettings:
    """The settings the deployed function will load at cold start from this stack's
    configuration; raises the function's own ``ConfigError`` where it would refuse them."""
    environ = function_environment(settings)
    environ["PROCESSED_BUCKET"] = "processed-bucket-at-preview"
    environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(settings.memory_size)
    return load_function_settings(environ)


def _check_function_accepts(reader: _Reader, settings: StackSettings) -> None:
    """Refuse at preview what the function would refuse at every cold start, naming the stack
    key (the function's own rules decide, so the two cannot disagree)."""
    try:
        function_settings_for(settings)
    except FunctionConfigError as exc:
        key = FUNCTION_VARIABLE_KEYS[exc.variable]
        reader.problems.append(f"{key}: the function would refuse this configuration: {exc}")


def _retention(reader: _Reader, default: int) -> int:
    allowed = "one of the CloudWatch retention periods " + ", ".join(map(str, LOG_RETENTION_DAYS))
    days = reader.integer("logRetentionDays", default, allowed)
    if days not in LOG_RETENTION_DAYS:
        reader.fail("logRetentionDays", reader.raw("logRetentionDays"), allowed)
        return default
    return days


def _reserved_concurrency(reader: _Reader) -> int | None:
    allowed = "-1 (no reservation) or an integer of 0 or more (0 pauses the function)"
    number = reader.integer("reservedConcurrency", None, allowed)
    if number is None or number == -1:
        return None
    if number < 0:
        reader.fail("reservedConcurrency", reader.raw("reservedConcurrency"), allowed)
        return None
    return number


def _optional_positive(reader: _Reader, key: str) -> int | None:
    allowed = "a positive integer, or 0 for the function's own default"
    number = reader.integer(key, None, allowed)
    if number is None or number == 0:
        return None
    if number < 0:
        reader.fail(key, reader.raw(key), allowed)
        return None
    return number


def _upload_prefix(reader: _Reader) -> str:
    value = reader.raw("uploadPrefix")
    if value is None:
        return ""
    allowed = f"an S3 key prefix without a leading '/', at most {MAX_PREFIX_LENGTH} characters"
    if not isinstance(value, str) or value.startswith("/") or len(value) > MAX_PREFIX_LENGTH:
        reader.fail("uploadPrefix", value, allowed)
        return ""
    return value


def _upload_suffixes(reader: _Reader) -> tuple[str, ...]:
    value = reader.raw("uploadSuffixes")
    if value is None:
        return ()
    allowed = (
        'a JSON list of distinct key suffixes, e.g. [".jpg", ".png"], none ending with another'
    )
    items: Any = value
    if isinstance(value, str):
        text = value.strip()
        try:
            items = json.loads(text) if text[:1] in '[{"' else text.split(",")
        except json.JSONDecodeError:
            items = None
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        reader.fail("uploadSuffixes", value, allowed)
        return ()
    suffixes = tuple(item.strip() for item in items)
    overlapping = any(a != b and a.endswith(b) for a in suffixes for b in suffixes) or len(
        set(suffixes)
    ) != len(suffixes)
    if any(not s or len(s) > MAX_PREFIX_LENGTH for s in suffixes) or overlapping:
        reader.fail("uploadSuffixes", value, allowed)
        return ()
    return suffixes


def _matching(reader: _Reader, key: str, pattern: re.Pattern[str], allowed: str) -> str | None:
    value = reader.raw(key)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.match(value.strip()):
        reader.fail(key, value, allowed)
        return None
    return value.strip()


def _cache_control(reader: _Reader) -> str | None:
    value = reader.raw("cacheControl")
    if value is None:
        return None
    try:
        return parse_cache_control(str(value))
    except FunctionConfigError:
        reader.fail(
            "cacheControl", value, "a Cache-Control value: printable ASCII, at most 256 characters"
        )
        return None


def _variants(reader: _Reader) -> tuple[VariantSpec, ...]:
    value = reader.raw("variants")
    try:
        return parse_variants(value)
    except ValueError as exc:
        reader.fail("variants", value, f"a JSON list of variant objects ({exc})")
        return DEFAULT_VARIANTS


def _watermark(reader: _Reader) -> Watermark | None:
    value = reader.raw("watermark")
    try:
        return parse_watermark(value)
    except ValueError as exc:
        reader.fail("watermark", value, f"a watermark JSON object ({exc})")
        return None
