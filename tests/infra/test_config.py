"""Stack configuration: defaults, overrides, and every bad value refused with key, value and
what is allowed."""

import contextvars
import json
from dataclasses import fields

import pulumi
import pytest
import yaml

from function.variant_spec import DEFAULT_VARIANTS, VariantSpec
from infra.config import StackConfigError, StackSettings, function_settings_for, load_settings
from tests.pulumi_harness import REPO, project_defaults

KEY_TO_FIELD = {
    "environment": "environment",
    "memorySize": "memory_size",
    "timeout": "timeout",
    "logRetentionDays": "log_retention_days",
    "architecture": "architecture",
    "forceDestroy": "force_destroy",
    "noncurrentVersionDays": "noncurrent_version_days",
    "maxRetryAttempts": "max_retry_attempts",
    "maxEventAgeSeconds": "max_event_age_seconds",
    "reservedConcurrency": "reserved_concurrency",
    "uploadPrefix": "upload_prefix",
    "uploadSuffixes": "upload_suffixes",
    "alarmEmail": "alarm_email",
    "kmsKeyArn": "kms_key_arn",
    "variants": "variants",
    "maxInputBytes": "max_input_bytes",
    "maxPixels": "max_pixels",
    "keepExif": "keep_exif",
    "watermark": "watermark",
    "cacheControl": "cache_control",
    "cdn": "cdn",
    "cdnDomainName": "cdn_domain_name",
    "cdnCertificateArn": "cdn_certificate_arn",
    "ingest": "ingest",
    "queueBatchSize": "queue_batch_size",
    "queueBatchWindowSeconds": "queue_batch_window_seconds",
    "queueMaxConcurrency": "queue_max_concurrency",
    "queueMaxReceiveCount": "queue_max_receive_count",
    "queueAgeAlarmSeconds": "queue_age_alarm_seconds",
    "notifications": "notifications",
    "deleteOutputs": "delete_outputs",
    "nameCollision": "name_collision",
}
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_defaults_of_a_bare_stack():
    settings = load_settings({})
    assert settings == StackSettings()
    assert (settings.environment, settings.memory_size, settings.timeout) == ("dev", 1024, 60)
    assert settings.log_retention_days == 7
    assert settings.architecture == "x86_64"
    assert settings.force_destroy is False
    assert settings.noncurrent_version_days == 30
    assert (settings.max_retry_attempts, settings.max_event_age_seconds) == (2, 21600)
    assert settings.reserved_concurrency is None
    assert (settings.upload_prefix, settings.upload_suffixes) == ("", ())
    assert settings.alarm_email is None
    assert settings.kms_key_arn is None
    assert settings.variants == DEFAULT_VARIANTS
    assert (settings.max_input_bytes, settings.max_pixels, settings.keep_exif) == (
        None,
        None,
        False,
    )


def test_every_setting_has_a_key_declared_in_pulumi_yaml():
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    assert set(declared) == set(KEY_TO_FIELD)
    assert set(KEY_TO_FIELD.values()) == {f.name for f in fields(StackSettings)}
    assert all(spec.get("description") for spec in declared.values())


def test_project_file_names_the_project_and_its_python_runtime():
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert project["name"] == "image-pipeline"
    assert project["description"]
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": ".venv"},
    }


def test_pulumi_yaml_defaults_equal_the_code_defaults():
    defaults = project_defaults()
    assert set(defaults) == set(KEY_TO_FIELD)
    assert load_settings(defaults) == StackSettings()


def test_stack_file_is_valid():
    stack = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())["config"]
    ours = {k.split(":", 1)[1]: v for k, v in stack.items() if k.startswith("image-pipeline:")}
    assert set(ours) <= set(KEY_TO_FIELD)
    assert stack["aws:region"]
    settings = load_settings(
        {k: json.dumps(v) if isinstance(v, bool) else v for k, v in ours.items()}
    )
    assert settings.environment == "dev"


OVERRIDES = [
    ("environment", "prod", "prod"),
    ("memorySize", "2048", 2048),
    ("memorySize", "181", 181),
    ("memorySize", "10240", 10240),
    ("timeout", "900", 900),
    ("logRetentionDays", "365", 365),
    ("architecture", "arm64", "arm64"),
    ("forceDestroy", "true", True),
    ("forceDestroy", "False", False),
    ("noncurrentVersionDays", "90", 90),
    ("maxRetryAttempts", "0", 0),
    ("maxEventAgeSeconds", "60", 60),
    ("reservedConcurrency", "10", 10),
    ("reservedConcurrency", "0", 0),
    ("reservedConcurrency", "-1", None),
    ("uploadPrefix", "incoming/", "incoming/"),
    ("uploadSuffixes", '[".jpg", ".png"]', (".jpg", ".png")),
    ("uploadSuffixes", ".jpg,.jpeg", (".jpg", ".jpeg")),
    ("uploadSuffixes", "[]", ()),
    ("alarmEmail", "ops@example.com", "ops@example.com"),
    ("kmsKeyArn", KEY, KEY),
    (
        "variants",
        '[{"suffix": "w", "format": "WEBP", "quality": 70}]',
        (VariantSpec("w", "WEBP", quality=70),),
    ),
    ("maxInputBytes", "5000000", 5_000_000),
    ("maxInputBytes", "0", None),
    ("maxPixels", "40000000", 40_000_000),
    ("keepExif", "true", True),
    ("cacheControl", "public, max-age=600", "public, max-age=600"),
    ("cacheControl", "", None),
    ("cdn", "true", True),
    ("ingest", "queue", "queue"),
    ("queueBatchSize", "1", 1),
    ("queueBatchWindowSeconds", "300", 300),
    ("queueMaxConcurrency", "1000", 1000),
    ("queueMaxReceiveCount", "1", 1),
    ("queueAgeAlarmSeconds", "60", 60),
    ("notifications", "false", False),
    ("deleteOutputs", "false", False),
    ("nameCollision", "replace", "replace"),
]


@pytest.mark.parametrize(("key", "raw", "expected"), OVERRIDES)
def test_override_reaches_settings(key, raw, expected):
    settings = load_settings({key: raw})
    assert getattr(settings, KEY_TO_FIELD[key]) == expected
    untouched = {f for f in KEY_TO_FIELD.values() if f != KEY_TO_FIELD[key]}
    assert all(getattr(settings, f) == getattr(StackSettings(), f) for f in untouched)


BAD_VALUES = [
    ("environment", "production", "one of dev, staging, prod"),
    ("memorySize", "127", "an integer from 128 to 10240"),
    ("memorySize", "10241", "an integer from 128 to 10240"),
    ("memorySize", "1k", "an integer from 128 to 10240"),
    ("memorySize", "1024.5", "an integer from 128 to 10240"),
    ("timeout", "0", "an integer from 1 to 900"),
    ("timeout", "901", "an integer from 1 to 900"),
    ("logRetentionDays", "10", "one of the CloudWatch retention periods 1, 3, 5, 7, 14"),
    ("logRetentionDays", "0", "one of the CloudWatch retention periods"),
    ("architecture", "aarch64", "one of x86_64, arm64"),
    ("forceDestroy", "yes", "true or false"),
    ("noncurrentVersionDays", "0", "an integer from 1 to 3650"),
    ("maxRetryAttempts", "3", "an integer from 0 to 2"),
    ("maxEventAgeSeconds", "59", "an integer from 60 to 21600"),
    ("maxEventAgeSeconds", "21601", "an integer from 60 to 21600"),
    ("reservedConcurrency", "-2", "-1 (no reservation) or an integer of 0 or more"),
    ("reservedConcurrency", "many", "-1 (no reservation)"),
    ("uploadPrefix", "/incoming", "without a leading '/'"),
    ("uploadPrefix", "p" * 1025, "at most 1024 characters"),
    ("uploadSuffixes", '[".jpg", 5]', "a JSON list of distinct key suffixes"),
    ("uploadSuffixes", '[".jpg", "e.jpg"]', "none ending with another"),
    ("uploadSuffixes", '[".jpg", ".jpg"]', "distinct"),
    ("uploadSuffixes", "[.jpg", "a JSON list"),
    ("uploadSuffixes", '{".jpg": 1}', "a JSON list"),
    ("uploadSuffixes", ".jpg,", "a JSON list"),
    ("alarmEmail", "ops-at-example.com", "an email address"),
    ("kmsKeyArn", "alias/aws/s3", "a KMS key ARN"),
    ("variants", "not json", "variants is not valid JSON"),
    ("variants", '[{"suffix": "x", "format": "GIF"}]', "variants[0].format must be one of"),
    ("maxInputBytes", "-5", "a positive integer, or 0"),
    ("maxPixels", "lots", "a positive integer, or 0"),
    ("keepExif", "1", "true or false"),
    ("cacheControl", "max-age=1\r\nX: y", "a Cache-Control value: printable ASCII"),
    ("cdn", "on", "true or false"),
    ("cdnDomainName", "https://img.example.com", "a domain name"),
    ("cdnCertificateArn", CERTIFICATE.replace("us-east-1", "eu-west-1"), "in us-east-1"),
    ("ingest", "sqs", "one of direct, queue"),
    ("queueBatchSize", "0", "an integer from 1 to 10000"),
    ("queueBatchWindowSeconds", "301", "an integer from 0 to 300"),
    ("queueMaxConcurrency", "1", "an integer from 2 to 1000"),
    ("queueMaxReceiveCount", "0", "an integer from 1 to 1000"),
    ("queueAgeAlarmSeconds", "59", "an integer from 60 to 1209600"),
    ("notifications", "off", "true or false"),
    ("deleteOutputs", "no", "true or false"),
    ("nameCollision", "overwrite", "one of reject, replace"),
]


@pytest.mark.parametrize(("key", "raw", "allowed"), BAD_VALUES)
def test_bad_value_is_refused_naming_key_value_and_what_is_allowed(key, raw, allowed):
    with pytest.raises(StackConfigError) as caught:
        load_settings({key: raw})
    message = str(caught.value)
    assert f"image-pipeline:{key} = {raw!r}" in message
    assert allowed in message
    assert len(caught.value.problems) == 1


@pytest.mark.parametrize("memory", ["128", "160", "180"])
def test_a_memory_size_the_function_would_refuse_is_refused_naming_the_key(memory):
    with pytest.raises(StackConfigError) as caught:
        load_settings({"memorySize": memory})
    (problem,) = caught.value.problems
    assert problem.startswith("memorySize:")
    assert "at least 181 MB" in problem


def test_the_smallest_working_memory_size_is_accepted_and_the_function_loads_with_it():
    settings = load_settings({"memorySize": "181"})
    assert function_settings_for(settings).memory_mb == 181


def test_a_bigger_input_limit_raises_the_smallest_memory_size():
    with pytest.raises(StackConfigError, match=r"memorySize:.*at least 221 MB"):
        load_settings({"memorySize": "200", "maxInputBytes": str(48 * 1024 * 1024)})
    assert load_settings({"memorySize": "200", "maxPixels": "500000"}).memory_size == 200


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"text": "x", "opacity": 0}', "watermark.opacity must be a number above 0"),
        ('{"text": "x", "position": "left"}', "watermark.position must be one of"),
        ('{"image": "logo.png"}', "watermark.image must be a PNG path under function/assets/"),
        ('{"image": "function/assets/none.png"}', "watermark.image 'function/assets/none.png'"),
        ('{"text": "x", "image": "function/assets/a.png"}', "exactly one of watermark.text"),
        ('{"text": "x", "colour": "#000000"}', "unknown field(s) ['colour']"),
    ],
)
def test_bad_watermark_is_refused_naming_the_field(value, message):
    with pytest.raises(StackConfigError) as caught:
        load_settings({"watermark": value})
    assert f"image-pipeline:watermark = {value!r} is not allowed" in str(caught.value)
    assert message in str(caught.value)


def test_watermark_for_a_missing_variant_is_refused_by_the_functions_own_rules():
    with pytest.raises(StackConfigError) as caught:
        load_settings({"watermark": '{"text": "x", "variants": ["compresed"]}'})
    assert str(caught.value) == (
        "invalid stack configuration: watermark: the function would refuse this configuration: "
        "WATERMARK: watermark.variants names ['compresed'], which no variant has (suffixes: "
        "['compressed', 'converted', 'low_quality', 'thumbnail'])"
    )


def test_watermark_reaches_the_function_settings():
    settings = load_settings({"watermark": '{"text": "(c) Me", "size": 0.1}'})
    watermark = function_settings_for(settings).watermark
    assert watermark is not None
    assert (watermark.text, watermark.size, watermark.position) == ("(c) Me", 0.1, "bottom-right")


def test_a_timeout_too_short_for_an_ordinary_photo_is_refused_naming_the_key():
    with pytest.raises(StackConfigError) as caught:
        load_settings({"timeout": "1"})
    (problem,) = caught.value.problems
    assert problem.startswith("timeout:") and "TIMEOUT_SECONDS=1 at 1024 MB" in problem
    settings = load_settings({"timeout": "2"})  # 2 s at 0.58 vCPU: room for 1.9 MP
    assert function_settings_for(settings).budget.timeout_s == 2
    assert load_settings({"timeout": "1", "maxPixels": "500000"}).timeout == 1


def test_every_bad_value_is_reported_in_one_error():
    with pytest.raises(StackConfigError) as caught:
        load_settings({"memorySize": "1", "timeout": "1000", "architecture": "mips"})
    assert len(caught.value.problems) == 3
    for key in ("memorySize", "timeout", "architecture"):
        assert f"image-pipeline:{key}" in str(caught.value)


def test_config_error_stops_a_pulumi_program_cleanly():
    assert issubclass(StackConfigError, pulumi.RunError)
    assert issubclass(StackConfigError, ValueError)


def test_reads_a_real_pulumi_config():
    def read():
        pulumi.runtime.set_all_config(
            {"image-pipeline:memorySize": "512", "image-pipeline:keepExif": "true"}
        )
        return load_settings(pulumi.Config("image-pipeline"))

    settings = contextvars.copy_context().run(read)
    assert (settings.memory_size, settings.keep_exif) == (512, True)
    assert settings.timeout == 60


def test_native_values_from_a_dict_are_accepted():
    settings = load_settings({"memorySize": 256, "forceDestroy": True, "uploadSuffixes": [".png"]})
    assert (settings.memory_size, settings.force_destroy) == (256, True)
    assert settings.upload_suffixes == (".png",)
    with pytest.raises(StackConfigError, match="image-pipeline:memorySize = True"):
        load_settings({"memorySize": True})


def test_custom_domain_needs_cdn_and_both_keys():
    both = {"cdnDomainName": "img.example.com", "cdnCertificateArn": CERTIFICATE}
    settings = load_settings({"cdn": "true", **both})
    assert (settings.cdn_domain_name, settings.cdn_certificate_arn) == (
        "img.example.com",
        CERTIFICATE,
    )
    with pytest.raises(StackConfigError, match="need cdn = true"):
        load_settings(both)
    with pytest.raises(StackConfigError, match="set both"):
        load_settings({"cdn": "true", "cdnDomainName": "img.example.com"})


def test_queue_batches_over_ten_need_a_batching_window():
    assert load_settings({"queueBatchSize": "100", "queueBatchWindowSeconds": "5"})
    with pytest.raises(StackConfigError, match="queueBatchSize: 11 is over 10"):
        load_settings({"queueBatchSize": "11"})


def test_queue_concurrency_must_fit_the_reserved_concurrency():
    queue = {"ingest": "queue", "queueMaxConcurrency": "20"}
    with pytest.raises(
        StackConfigError, match="queueMaxConcurrency: 20 is over reservedConcurrency"
    ):
        load_settings({**queue, "reservedConcurrency": "10"})
    assert load_settings({**queue, "reservedConcurrency": "20"}).queue_max_concurrency == 20
    assert load_settings({**queue, "reservedConcurrency": "0"}).reserved_concurrency == 0
    assert load_settings({"queueMaxConcurrency": "20", "reservedConcurrency": "10"})


def test_cache_control_reaches_the_function_settings():
    settings = load_settings({"cacheControl": "public, max-age=600"})
    assert function_settings_for(settings).cache_control == "public, max-age=600"
    assert function_settings_for(StackSettings()).cache_control == "public, max-age=86400"
