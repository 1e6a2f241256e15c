"""The real ``__main__.py`` under Pulumi mocks with a bare stack: what would be created, with
which properties, wired to what, and the exact stack outputs."""

import inspect
import json
import re
from collections import Counter
from pathlib import Path

import pulumi
import pulumi_aws
import pytest

from function.variant_spec import DEFAULT_VARIANTS, variants_to_json
from infra.iam_documents import (
    failure_destination_policy,
    lambda_assume_role_policy,
    notification_topic_policy,
    processor_policy,
    tls_only_bucket_policy,
)
from infra.packaging import function_sources
from tests.pulumi_harness import ACCOUNT_ID, RecordedStack, project_defaults, run_program

BUCKET = "aws:s3/bucket:Bucket"
FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LAYER = "aws:lambda/layerVersion:LayerVersion"
PERMISSION = "aws:lambda/permission:Permission"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
QUEUE = "aws:sqs/queue:Queue"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RANDOM_ID = "random:index/randomId:RandomId"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
TAGS = {"Project": "image-pipeline", "Environment": "dev", "ManagedBy": "pulumi"}

EXPECTED_TYPES = Counter(
    {
        RANDOM_ID: 1,
        "image-pipeline:storage:HardenedBucket": 2,
        BUCKET: 2,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 2,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 2,
        "aws:s3/bucketVersioning:BucketVersioning": 2,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 2,
        "aws:s3/bucketPolicy:BucketPolicy": 2,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 2,
        "image-pipeline:processing:ImageProcessor": 1,
        ROLE: 1,
        ROLE_POLICY: 2,
        LOG_GROUP: 1,
        "image-pipeline:layer:PillowLayer": 1,
        LAYER: 1,
        FUNCTION: 1,
        PERMISSION: 1,
        NOTIFICATION: 1,
        "image-pipeline:processing:FailureCapture": 1,
        QUEUE: 1,
        INVOKE_CONFIG: 1,
        ALARM: 2,
        "image-pipeline:processing:NotificationTopic": 1,
        TOPIC: 1,
        TOPIC_POLICY: 1,
    }
)
OUTPUT_NAMES = {
    "upload_bucket_name",
    "upload_bucket_arn",
    "processed_bucket_name",
    "processed_bucket_arn",
    "function_name",
    "function_arn",
    "function_role_arn",
    "log_group_name",
    "failure_queue_url",
    "ingest_queue_url",
    "cdn_domain_name",
    "notification_topic_arn",
}


@pytest.fixture(scope="module")
def stack() -> RecordedStack:
    return run_program({})


def bucket_parts(stack: RecordedStack, purpose: str) -> dict[str, dict]:
    """The inputs of each child of the ``purpose`` HardenedBucket, by type name."""
    component = stack.one("image-pipeline:storage:HardenedBucket", purpose)
    return {r.type.rsplit(":", 1)[1]: r for r in stack.children(component)}


def aws_class(type_token: str) -> type:
    _, module, name = type_token.split(":")
    package = module.split("/")[0]
    return getattr(getattr(pulumi_aws, "lambda_" if package == "lambda" else package), name)


def comparable(value):
    """``value`` with assets and archives (which compare by identity) replaced by their paths."""
    if isinstance(value, dict):
        return {key: comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    if isinstance(value, pulumi.AssetArchive):
        return ("AssetArchive", comparable(value.assets))
    if isinstance(value, pulumi.FileAsset | pulumi.FileArchive):
        return (type(value).__name__, value.path)
    return value


def test_creates_exactly_the_expected_resources(stack):
    assert Counter(r.type for r in stack.resources) == EXPECTED_TYPES
    sns = {r.type for r in stack.resources if r.type.startswith("aws:sns/")}
    assert sns == {TOPIC, TOPIC_POLICY}  # the notification topic; no alarm topic by default
    assert not [r for r in stack.resources if "Attachment" in r.type]


def test_bucket_names_are_readable_and_share_one_random_suffix(stack):
    suffix = stack.one(RANDOM_ID).outputs["hex"]
    assert re.fullmatch(r"[0-9a-f]{8}", suffix)
    assert stack.one(RANDOM_ID).inputs["byteLength"] == 4
    for purpose in ("uploads", "processed"):
        bucket = stack.one(BUCKET, purpose)
        assert bucket.inputs["bucket"] == f"image-pipeline-dev-{purpose}-{suffix}"
        assert bucket.inputs["forceDestroy"] is False
        for deprecated in ("versioning", "serverSideEncryptionConfiguration", "lifecycleRules"):
            assert deprecated not in bucket.inputs
        assert bucket.inputs["tags"] == TAGS


@pytest.mark.parametrize("purpose", ["uploads", "processed"])
def test_bucket_is_hardened(stack, purpose):
    bucket = stack.one(BUCKET, purpose)
    parts = bucket_parts(stack, purpose)
    assert set(parts) == {
        "Bucket",
        "BucketOwnershipControls",
        "BucketPublicAccessBlock",
        "BucketVersioning",
        "BucketServerSideEncryptionConfiguration",
        "BucketPolicy",
        "BucketLifecycleConfiguration",
    }
    for name, part in parts.items():
        if name != "Bucket":
            assert part.inputs["bucket"] == bucket.id, name

    assert parts["BucketVersioning"].inputs["versioningConfiguration"]["status"] == "Enabled"
    (rule,) = parts["BucketServerSideEncryptionConfiguration"].inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    access = parts["BucketPublicAccessBlock"].inputs
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert access[flag] is True, flag
    ownership = parts["BucketOwnershipControls"].inputs["rule"]
    assert ownership == {"objectOwnership": "BucketOwnerEnforced"}
    policy = parts["BucketPolicy"]
    assert json.loads(policy.inputs["policy"]) == tls_only_bucket_policy(bucket.outputs["arn"])
    assert stack.depends_on(policy, parts["BucketPublicAccessBlock"])

    rules = {r["id"]: r for r in parts["BucketLifecycleConfiguration"].inputs["rules"]}
    assert set(rules) == {"expire-noncurrent-versions", "abort-incomplete-multipart-uploads"}
    assert all(r["status"] == "Enabled" and r["filter"] == {"prefix": ""} for r in rules.values())
    noncurrent = rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"]
    assert noncurrent == {"noncurrentDays": 30}
    abort = rules["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"]
    assert abort == {"daysAfterInitiation": 7}


def test_function_properties(stack):
    function = stack.one(FUNCTION).inputs
    suffix = stack.one(RANDOM_ID).outputs["hex"]
    assert function["name"] == f"image-pipeline-dev-processor-{suffix}"
    assert function["runtime"] == "python3.12"
    assert function["handler"] == "function.lambda_function.lambda_handler"
    assert function["memorySize"] == 1024
    assert function["timeout"] == 60
    assert function["architectures"] == ["x86_64"]
    assert "reservedConcurrentExecutions" not in function
    assert function["tags"] == TAGS
    logging = function["loggingConfig"]
    assert logging["logFormat"] == "JSON"
    assert logging["logGroup"] == stack.one(LOG_GROUP).outputs["name"]


def test_function_code_is_only_the_function_sources(stack):
    archive = stack.one(FUNCTION).inputs["code"]
    assert isinstance(archive, pulumi.AssetArchive)
    sources = function_sources()
    assert set(archive.assets) == set(sources)
    assert "function/lambda_function.py" in archive.assets
    for name, asset in archive.assets.items():
        assert isinstance(asset, pulumi.FileAsset)
        assert Path(asset.path) == sources[name]
        assert name.endswith(".py") or name.startswith("function/assets/")
        assert "__pycache__" not in name
        assert not Path(name).name.startswith("test_")


def test_function_environment_names_the_processed_bucket(stack):
    variables = stack.one(FUNCTION).inputs["environment"]["variables"]
    assert variables == {
        "PROCESSED_BUCKET": stack.one(BUCKET, "processed").outputs["bucket"],
        "NOTIFICATION_TOPIC_ARN": stack.one(TOPIC).outputs["arn"],
        "VARIANTS": variants_to_json(DEFAULT_VARIANTS),
        "KEEP_EXIF": "false",
        "TIMEOUT_SECONDS": "60",
        "NAME_COLLISION": "reject",
        "DELETE_OUTPUTS": "true",
    }


def test_notification_topic_is_encrypted_with_its_policy(stack):
    topic = stack.one(TOPIC)
    assert topic.inputs["kmsMasterKeyId"] == "alias/aws/sns"
    assert topic.inputs["tags"] == TAGS
    policy = stack.one(TOPIC_POLICY)
    assert policy.inputs["arn"] == topic.outputs["arn"]
    assert json.loads(policy.inputs["policy"]) == notification_topic_policy(
        topic.outputs["arn"], ACCOUNT_ID
    )


def test_function_uses_the_layer_and_the_role(stack):
    function = stack.one(FUNCTION)
    layer = stack.one(LAYER)
    assert function.inputs["layers"] == [layer.outputs["arn"]]
    assert layer.inputs["compatibleArchitectures"] == ["x86_64"]
    assert layer.inputs["compatibleRuntimes"] == ["python3.12"]
    assert function.inputs["role"] == stack.one(ROLE).outputs["arn"]


def test_log_group_is_created_before_the_function(stack):
    log_group = stack.one(LOG_GROUP)
    function = stack.one(FUNCTION)
    assert log_group.inputs["name"] == f"/aws/lambda/{function.inputs['name']}"
    assert log_group.inputs["retentionInDays"] == 7
    assert log_group.inputs["tags"] == TAGS
    assert stack.depends_on(function, log_group)
    assert stack.depends_on(function, stack.one(ROLE_POLICY, "processor-access"))


def test_role_is_assumable_only_by_lambda_and_has_only_inline_policies(stack):
    role = stack.one(ROLE).inputs
    assert json.loads(role["assumeRolePolicy"]) == lambda_assume_role_policy()
    assert not role.get("managedPolicyArns")
    assert not role.get("inlinePolicies")
    assert role["tags"] == TAGS
    attached = {p.name: p.inputs["role"] for p in stack.of_type(ROLE_POLICY)}
    assert attached == {
        "processor-access": stack.one(ROLE).id,
        "failure-send": stack.one(ROLE).id,
    }


def test_processor_policy_grants_exactly_the_pure_builders_document(stack):
    document = json.loads(stack.one(ROLE_POLICY, "processor-access").inputs["policy"])
    upload_arn = stack.one(BUCKET, "uploads").outputs["arn"]
    processed_arn = stack.one(BUCKET, "processed").outputs["arn"]
    log_group_arn = stack.one(LOG_GROUP).outputs["arn"]
    topic_arn = stack.one(TOPIC).outputs["arn"]
    assert document == processor_policy(
        upload_arn, processed_arn, log_group_arn, notification_topic_arn=topic_arn
    )
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["ReadUploads"]["Resource"] == [f"{upload_arn}/*"]
    assert by_sid["SeeMissingUploads"]["Resource"] == [upload_arn]
    assert by_sid["WriteVariants"]["Resource"] == [f"{processed_arn}/*"]
    assert by_sid["WriteOwnLogs"]["Resource"] == [f"{log_group_arn}:*"]
    assert by_sid["PublishOutcomes"]["Resource"] == [topic_arn]


def test_no_role_policy_grants_wildcards_or_acls(stack):
    for policy in stack.of_type(ROLE_POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            assert statement["Effect"] == "Allow"
            assert all("*" not in action for action in statement["Action"])
            assert "*" not in statement["Resource"]
            assert "s3:PutObjectAcl" not in statement["Action"]


def test_failure_queue_send_is_the_only_sqs_grant(stack):
    document = json.loads(stack.one(ROLE_POLICY, "failure-send").inputs["policy"])
    assert document == failure_destination_policy(stack.one(QUEUE).outputs["arn"])


def test_permission_lets_only_the_upload_bucket_of_this_account_invoke(stack):
    permission = stack.one(PERMISSION).inputs
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["function"] == stack.one(FUNCTION).outputs["name"]
    assert permission["principal"] == "s3.amazonaws.com"
    assert permission["sourceArn"] == stack.one(BUCKET, "uploads").outputs["arn"]
    assert permission["sourceAccount"] == ACCOUNT_ID
    assert [i.token for i in stack.invokes] == ["aws:index/getCallerIdentity:getCallerIdentity"]


def test_notification_targets_this_function_after_the_permission(stack):
    notification = stack.one(NOTIFICATION)
    assert notification.inputs["bucket"] == stack.one(BUCKET, "uploads").id
    (target,) = notification.inputs["lambdaFunctions"]
    assert target["lambdaFunctionArn"] == stack.one(FUNCTION).outputs["arn"]
    assert target["events"] == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert "filterPrefix" not in target
    assert "filterSuffix" not in target
    assert stack.depends_on(notification, stack.one(PERMISSION))
    assert not notification.inputs.get("queues")
    assert not notification.inputs.get("topics")


def test_failure_capture(stack):
    queue = stack.one(QUEUE)
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    assert queue.inputs["tags"] == TAGS
    config = stack.one(INVOKE_CONFIG)
    assert config.inputs["functionName"] == stack.one(FUNCTION).outputs["name"]
    assert config.inputs["maximumRetryAttempts"] == 2
    assert config.inputs["maximumEventAgeInSeconds"] == 21600
    assert config.inputs["destinationConfig"] == {
        "onFailure": {"destination": queue.outputs["arn"]}
    }
    assert stack.depends_on(config, stack.one(ROLE_POLICY, "failure-send"))


def test_alarms_on_function_errors_and_queued_failures(stack):
    errors = stack.one(ALARM, "failure-function-errors").inputs
    assert (errors["namespace"], errors["metricName"]) == ("AWS/Lambda", "Errors")
    assert errors["dimensions"] == {"FunctionName": stack.one(FUNCTION).outputs["name"]}
    queued = stack.one(ALARM, "failure-queued-failures").inputs
    assert (queued["namespace"], queued["metricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert queued["dimensions"] == {"QueueName": stack.one(QUEUE).outputs["name"]}
    for alarm in (errors, queued):
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        assert alarm["threshold"] == 0
        assert alarm["evaluationPeriods"] == 1
        assert alarm["treatMissingData"] == "notBreaching"
        assert not alarm.get("alarmActions")
        assert alarm["tags"] == TAGS


def test_every_taggable_resource_carries_the_standard_tags(stack):
    taggable = [
        r
        for r in stack.resources
        if r.custom
        and r.type.startswith("aws:")
        and "tags" in inspect.signature(aws_class(r.type)._internal_init).parameters
    ]
    assert {r.type for r in taggable} >= {BUCKET, FUNCTION, ROLE, LOG_GROUP, QUEUE, ALARM}
    for resource in taggable:
        assert resource.inputs.get("tags") == TAGS, (resource.type, resource.name)


def test_resources_are_children_of_components(stack):
    stack_children = [r for r in stack.resources if "pulumi:pulumi:Stack::" in r.parent]
    assert {r.type for r in stack_children} == {
        RANDOM_ID,
        "image-pipeline:storage:HardenedBucket",
        "image-pipeline:processing:ImageProcessor",
        "image-pipeline:processing:FailureCapture",
        "image-pipeline:processing:NotificationTopic",
    }
    for resource in stack.resources:
        if resource.custom and resource.type != RANDOM_ID:
            assert not stack.by_urn(resource.parent).custom, resource.name


def test_components_register_their_outputs(stack):
    components = [r for r in stack.resources if not r.custom]
    assert components
    for component in components:
        assert stack.registered_outputs.get(component.urn), component.name
    processor = stack.one("image-pipeline:processing:ImageProcessor")
    assert stack.registered_outputs[processor.urn]["function_arn"] == stack.outputs["function_arn"]


def test_stack_outputs_are_exactly_the_published_names(stack):
    assert set(stack.outputs) == OUTPUT_NAMES
    uploads, processed = stack.one(BUCKET, "uploads"), stack.one(BUCKET, "processed")
    function = stack.one(FUNCTION)
    assert stack.outputs == {
        "upload_bucket_name": uploads.outputs["bucket"],
        "upload_bucket_arn": f"arn:aws:s3:::{uploads.outputs['bucket']}",
        "processed_bucket_name": processed.outputs["bucket"],
        "processed_bucket_arn": f"arn:aws:s3:::{processed.outputs['bucket']}",
        "function_name": function.outputs["name"],
        "function_arn": function.outputs["arn"],
        "function_role_arn": stack.one(ROLE).outputs["arn"],
        "log_group_name": f"/aws/lambda/{function.outputs['name']}",
        "failure_queue_url": stack.one(QUEUE).outputs["url"],
        "ingest_queue_url": "",
        "cdn_domain_name": "",
        "notification_topic_arn": stack.one(TOPIC).outputs["arn"],
    }


def test_pulumi_yaml_defaults_build_the_same_stack(stack):
    with_defaults = run_program(project_defaults())
    assert with_defaults.outputs == stack.outputs
    for resource in stack.resources:
        twin = next(
            r
            for r in with_defaults.resources
            if (r.type, r.name, r.parent) == (resource.type, resource.name, resource.parent)
        )
        assert comparable(twin.inputs) == comparable(resource.inputs), resource.name


def test_preview_registers_the_same_resources(stack):
    preview = run_program({}, preview=True)
    assert Counter(r.type for r in preview.resources) == EXPECTED_TYPES
    assert preview.outputs == stack.outputs
