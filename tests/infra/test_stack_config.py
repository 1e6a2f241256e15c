"""Config overrides reaching the resources, and bad config stopping the real program before it
registers anything."""

import json

import pytest

from function.variant_spec import parse_variants, variants_to_json
from infra.config import StackConfigError
from infra.iam_documents import processor_policy
from tests.pulumi_harness import RecordedStack, project_defaults, run_program

KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VARIANTS = '[{"suffix": "small", "format": "WEBP", "quality": 70, "max_width": 320}]'
OVERRIDES = {
    "aws:region": "eu-west-1",
    "environment": "staging",
    "memorySize": "2048",
    "timeout": "120",
    "logRetentionDays": "30",
    "architecture": "arm64",
    "forceDestroy": "true",
    "noncurrentVersionDays": "90",
    "maxRetryAttempts": "0",
    "maxEventAgeSeconds": "3600",
    "reservedConcurrency": "5",
    "uploadPrefix": "incoming/",
    "uploadSuffixes": '[".jpg", ".png"]',
    "alarmEmail": "ops@example.com",
    "kmsKeyArn": KMS_KEY,
    "variants": VARIANTS,
    "maxInputBytes": "5000000",
    "maxPixels": "40000000",
    "keepExif": "true",
    "watermark": '{"text": "(c) Example", "position": "tiled", "variants": ["small"]}',
    "notifications": "false",
    "deleteOutputs": "false",
    "nameCollision": "replace",
}
TAGS = {"Project": "image-pipeline", "Environment": "staging", "ManagedBy": "pulumi"}


@pytest.fixture(scope="module")
def custom() -> RecordedStack:
    return run_program(OVERRIDES)


def test_environment_names_and_tags(custom):
    suffix = custom.one("random:index/randomId:RandomId").outputs["hex"]
    assert custom.outputs["upload_bucket_name"] == f"image-pipeline-staging-uploads-{suffix}"
    assert custom.outputs["processed_bucket_name"] == f"image-pipeline-staging-processed-{suffix}"
    assert custom.outputs["function_name"] == f"image-pipeline-staging-processor-{suffix}"
    assert custom.one("aws:lambda/function:Function").inputs["tags"] == TAGS
    assert custom.outputs["function_arn"].startswith("arn:aws:lambda:eu-west-1:")


def test_function_overrides(custom):
    function = custom.one("aws:lambda/function:Function").inputs
    assert function["memorySize"] == 2048
    assert function["timeout"] == 120
    assert function["architectures"] == ["arm64"]
    assert function["reservedConcurrentExecutions"] == 5
    assert function["environment"]["variables"] == {
        "PROCESSED_BUCKET": custom.outputs["processed_bucket_name"],
        "NOTIFICATION_TOPIC_ARN": "",
        "VARIANTS": variants_to_json(parse_variants(VARIANTS)),
        "MAX_INPUT_BYTES": "5000000",
        "MAX_PIXELS": "40000000",
        "KEEP_EXIF": "true",
        "WATERMARK": (
            '{"color":"#ffffff","margin":0.02,"opacity":0.5,"position":"tiled","size":0.05,'
            '"text":"(c) Example","variants":["small"]}'
        ),
        "TIMEOUT_SECONDS": "120",
        "NAME_COLLISION": "replace",
        "DELETE_OUTPUTS": "false",
    }


def test_notifications_off_means_no_topic_no_grant_and_an_empty_output(custom):
    assert not custom.of_type("image-pipeline:processing:NotificationTopic")
    assert not custom.of_type("aws:sns/topicPolicy:TopicPolicy")
    assert custom.outputs["notification_topic_arn"] == ""
    policy = custom.one("aws:iam/rolePolicy:RolePolicy", "processor-access").inputs["policy"]
    assert "sns:Publish" not in policy
    layer = custom.one("aws:lambda/layerVersion:LayerVersion").inputs
    assert layer["compatibleArchitectures"] == ["arm64"]


def test_log_retention_override(custom):
    assert custom.one("aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 30


def test_bucket_overrides(custom):
    for bucket in custom.of_type("aws:s3/bucket:Bucket"):
        assert bucket.inputs["forceDestroy"] is True
    for lifecycle in custom.of_type(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ):
        rule = next(r for r in lifecycle.inputs["rules"] if "noncurrentVersionExpiration" in r)
        assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 90}


def test_kms_key_encrypts_both_buckets_and_is_granted_to_the_function(custom):
    sse = custom.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert len(sse) == 2
    for configuration in sse:
        (rule,) = configuration.inputs["rules"]
        assert rule["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": KMS_KEY,
        }
        assert rule["bucketKeyEnabled"] is True
    policy = json.loads(
        custom.one("aws:iam/rolePolicy:RolePolicy", "processor-access").inputs["policy"]
    )
    assert policy == processor_policy(
        custom.outputs["upload_bucket_arn"],
        custom.outputs["processed_bucket_arn"],
        custom.one("aws:cloudwatch/logGroup:LogGroup").outputs["arn"],
        upload_prefix="incoming/",
        kms_key_arn=KMS_KEY,
    )


def test_upload_filters_reach_the_notification_and_narrow_the_read_grant(custom):
    notification = custom.one("aws:s3/bucketNotification:BucketNotification")
    targets = notification.inputs["lambdaFunctions"]
    assert [(t["filterPrefix"], t["filterSuffix"]) for t in targets] == [
        ("incoming/", ".jpg"),
        ("incoming/", ".png"),
    ]
    assert all(t["lambdaFunctionArn"] == custom.outputs["function_arn"] for t in targets)
    assert all(t["events"] == ["s3:ObjectCreated:*"] for t in targets)  # deleteOutputs off
    policy = json.loads(
        custom.one("aws:iam/rolePolicy:RolePolicy", "processor-access").inputs["policy"]
    )
    read = next(s for s in policy["Statement"] if s["Sid"] == "ReadUploads")
    assert read["Resource"] == [f"{custom.outputs['upload_bucket_arn']}/incoming/*"]


def test_retry_and_event_age_reach_the_invoke_config(custom):
    config = custom.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs
    assert config["maximumRetryAttempts"] == 0
    assert config["maximumEventAgeInSeconds"] == 3600


def test_alarm_email_adds_a_topic_both_alarms_notify(custom):
    topic = custom.one("aws:sns/topic:Topic")
    assert topic.inputs["tags"] == TAGS
    subscription = custom.one("aws:sns/topicSubscription:TopicSubscription").inputs
    assert subscription["protocol"] == "email"
    assert subscription["endpoint"] == "ops@example.com"
    assert subscription["topic"] == topic.outputs["arn"]
    alarms = custom.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) == 2
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]]
        assert alarm.inputs["okActions"] == [topic.outputs["arn"]]


def test_runs_are_isolated_from_each_other(custom):
    bare = run_program({"memorySize": "256"})
    assert bare.one("aws:lambda/function:Function").inputs["memorySize"] == 256
    assert not bare.of_type("aws:sns/topicSubscription:TopicSubscription")
    # No alarm topic and subscription; the notification component, topic and policy instead.
    assert len(bare.resources) == len(custom.resources) - 2 + 3


# One bad value per key: the real program stops with a StackConfigError naming it.
BAD = [
    ("environment", "qa"),
    ("memorySize", "64"),
    ("timeout", "1000"),
    ("logRetentionDays", "8"),
    ("architecture", "arm"),
    ("forceDestroy", "maybe"),
    ("noncurrentVersionDays", "0"),
    ("maxRetryAttempts", "5"),
    ("maxEventAgeSeconds", "30"),
    ("reservedConcurrency", "-3"),
    ("uploadPrefix", "/x"),
    ("uploadSuffixes", "{}"),
    ("alarmEmail", "nobody"),
    ("kmsKeyArn", "key-1"),
    ("variants", "[]"),
    ("maxInputBytes", "-1"),
    ("maxPixels", "1e6"),
    ("keepExif", "on"),
    ("watermark", '{"text": "x", "opacity": 2}'),
    ("cacheControl", "caf\u00e9"),
    ("cdn", "yes"),
    ("cdnDomainName", "-bad-.example"),
    ("cdnCertificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/x"),
    ("ingest", "kinesis"),
    ("queueBatchSize", "10001"),
    ("queueBatchWindowSeconds", "-1"),
    ("queueMaxConcurrency", "1001"),
    ("queueMaxReceiveCount", "1001"),
    ("queueAgeAlarmSeconds", "30"),
    ("notifications", "yes"),
    ("deleteOutputs", "1"),
    ("nameCollision", "newest"),
]


@pytest.mark.parametrize(("key", "value"), BAD)
def test_program_refuses_bad_config(key, value):
    with pytest.raises(StackConfigError) as caught:
        run_program({key: value})
    assert f"image-pipeline:{key} = {value!r} is not allowed: expected" in str(caught.value)


def test_every_declared_config_key_has_a_refusal_case():
    assert {key for key, _ in BAD} == set(project_defaults())
