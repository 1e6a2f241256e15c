"""The pure IAM / bucket policy builders, statement by statement, including what they must not
grant."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.authorization import enable_iam_authentication

from infra.iam_documents import (
    failure_destination_policy,
    lambda_assume_role_policy,
    log_streams_arn,
    notification_topic_policy,
    objects_arn,
    processor_policy,
    tls_only_bucket_policy,
)

UPLOAD = "arn:aws:s3:::image-pipeline-dev-uploads-0a1b2c3d"
PROCESSED = "arn:aws:s3:::image-pipeline-dev-processed-0a1b2c3d"
LOGS = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/image-pipeline-dev-processor-x"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
QUEUE = "arn:aws:sqs:eu-west-1:123456789012:failure-queue-1234567"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:notifications-topic-1234567"


def statements(document):
    assert document["Version"] == "2012-10-17"
    return {statement["Sid"]: statement for statement in document["Statement"]}


def allowed_actions(document):
    return {
        action
        for statement in document["Statement"]
        if statement["Effect"] == "Allow"
        for action in statement["Action"]
    }


def all_resources(document):
    return [resource for s in document["Statement"] for resource in s["Resource"]]


def test_assume_role_trusts_only_lambda():
    (statement,) = lambda_assume_role_policy()["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert "Condition" not in statement


def test_processor_policy_has_exactly_six_statements_without_kms_or_topic():
    by_sid = statements(processor_policy(UPLOAD, PROCESSED, LOGS))
    assert set(by_sid) == {
        "ReadUploads",
        "SeeMissingUploads",
        "WriteVariants",
        "ReadAndRemoveOutputs",
        "SeeMissingOutputs",
        "WriteOwnLogs",
    }
    assert all(s["Effect"] == "Allow" for s in by_sid.values())


def test_processor_reads_lists_and_removes_processed_objects_only():
    by_sid = statements(processor_policy(UPLOAD, PROCESSED, LOGS))
    assert by_sid["ReadAndRemoveOutputs"]["Action"] == ["s3:GetObject", "s3:DeleteObject"]
    assert by_sid["ReadAndRemoveOutputs"]["Resource"] == [f"{PROCESSED}/*"]
    assert by_sid["SeeMissingOutputs"]["Action"] == ["s3:ListBucket"]
    assert by_sid["SeeMissingOutputs"]["Resource"] == [PROCESSED]


def test_publish_only_with_a_topic_and_only_to_it():
    assert "PublishOutcomes" not in statements(processor_policy(UPLOAD, PROCESSED, LOGS))
    document = processor_policy(UPLOAD, PROCESSED, LOGS, notification_topic_arn=TOPIC)
    publish = statements(document)["PublishOutcomes"]
    assert (publish["Action"], publish["Resource"]) == (["sns:Publish"], [TOPIC])
    assert {a for a in allowed_actions(document) if a.startswith("sns:")} == {"sns:Publish"}


def test_notification_topic_policy_lets_the_account_subscribe_and_requires_tls():
    by_sid = statements(notification_topic_policy(TOPIC, "123456789012"))
    subscribe = by_sid["AccountSubscribes"]
    assert subscribe["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert "sns:Publish" not in subscribe["Action"]
    assert subscribe["Resource"] == [TOPIC]
    deny = by_sid["DenyInsecureTransport"]
    assert (deny["Effect"], deny["Principal"]) == ("Deny", "*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_processor_reads_upload_objects_only():
    read = statements(processor_policy(UPLOAD, PROCESSED, LOGS))["ReadUploads"]
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert read["Resource"] == [f"{UPLOAD}/*"]


def test_processor_lists_the_upload_bucket_only_so_gone_uploads_are_404():
    see = statements(processor_policy(UPLOAD, PROCESSED, LOGS))
    assert see["SeeMissingUploads"]["Action"] == ["s3:ListBucket"]
    assert see["SeeMissingUploads"]["Resource"] == [UPLOAD]
    assert "Condition" not in see["SeeMissingUploads"]


def test_processor_writes_processed_objects_only():
    write = statements(processor_policy(UPLOAD, PROCESSED, LOGS))["WriteVariants"]
    assert write["Action"] == ["s3:PutObject", "s3:PutObjectTagging"]
    assert write["Resource"] == [f"{PROCESSED}/*"]


def test_processor_writes_its_own_log_group_only():
    logs = statements(processor_policy(UPLOAD, PROCESSED, LOGS))["WriteOwnLogs"]
    assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == [f"{LOGS}:*"]


def test_upload_prefix_narrows_the_read_grant():
    read = statements(processor_policy(UPLOAD, PROCESSED, LOGS, upload_prefix="incoming/"))
    assert read["ReadUploads"]["Resource"] == [f"{UPLOAD}/incoming/*"]


def test_processor_policy_never_grants_wildcards_acls_or_extra_actions():
    document = processor_policy(
        UPLOAD, PROCESSED, LOGS, kms_key_arn=KEY, notification_topic_arn=TOPIC
    )
    actions = allowed_actions(document)
    assert all("*" not in action for action in actions)
    assert "*" not in all_resources(document)
    assert not actions & {
        "s3:PutObjectAcl",
        "s3:PutObjectVersionAcl",
        "s3:DeleteObjectVersion",
        "s3:PutObjectVersionTagging",
        "s3:ListBucketVersions",
        "s3:ListAllMyBuckets",
        "s3:GetObject*",
        "logs:CreateLogGroup",
        "iam:PassRole",
    }
    # The upload bucket is only read and listed: never written nor deleted from.
    for statement in document["Statement"]:
        if {"s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject"} & set(statement["Action"]):
            assert all(r.startswith(PROCESSED) for r in statement["Resource"])


def test_kms_statement_only_with_a_key_and_only_for_that_key():
    assert "UseBucketKey" not in statements(processor_policy(UPLOAD, PROCESSED, LOGS))
    kms = statements(processor_policy(UPLOAD, PROCESSED, LOGS, kms_key_arn=KEY))["UseBucketKey"]
    assert kms["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert kms["Resource"] == [KEY]


def test_failure_destination_policy_sends_to_that_queue_only():
    (statement,) = failure_destination_policy(QUEUE)["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == ["sqs:SendMessage"]
    assert statement["Resource"] == [QUEUE]


def test_tls_only_bucket_policy_denies_insecure_transport_on_bucket_and_objects():
    (statement,) = tls_only_bucket_policy(UPLOAD)["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert statement["Resource"] == [UPLOAD, f"{UPLOAD}/*"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("log_group_arn", [LOGS, f"{LOGS}:*"])
def test_log_streams_arn_does_not_double_the_wildcard(log_group_arn):
    assert log_streams_arn(log_group_arn) == f"{LOGS}:*"


def test_objects_arn():
    assert objects_arn(UPLOAD) == f"{UPLOAD}/*"
    assert objects_arn(UPLOAD, "a/b/") == f"{UPLOAD}/a/b/*"


def test_documents_are_json_serialisable():
    for document in (
        lambda_assume_role_policy(),
        processor_policy(UPLOAD, PROCESSED, LOGS, kms_key_arn=KEY),
        notification_topic_policy(TOPIC, "123456789012"),
        failure_destination_policy(QUEUE),
        tls_only_bucket_policy(PROCESSED),
    ):
        assert json.loads(json.dumps(document)) == document


def test_listing_is_narrowed_to_the_upload_prefix():
    see = statements(processor_policy(UPLOAD, PROCESSED, LOGS, upload_prefix="in/"))
    assert see["SeeMissingUploads"]["Condition"] == {"StringLike": {"s3:prefix": ["in/*"]}}


# --- the documents enforced by moto's IAM -----------------------------------------------------

MOTO_UPLOADS = "uploads-iam"
MOTO_PROCESSED = "processed-iam"


@pytest.fixture
def as_processor(monkeypatch):
    """A client with the credentials of an IAM user holding the processor policy (upload prefix
    ``in/``), and an unrestricted client for setup; moto enforces IAM on the former."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        admin = boto3.client("s3")
        for bucket in (MOTO_UPLOADS, MOTO_PROCESSED):
            admin.create_bucket(Bucket=bucket)
        for key in ("in/a.jpg", "other/b.jpg"):
            admin.put_object(Bucket=MOTO_UPLOADS, Key=key, Body=b"x")
        document = processor_policy(
            f"arn:aws:s3:::{MOTO_UPLOADS}",
            f"arn:aws:s3:::{MOTO_PROCESSED}",
            LOGS,
            upload_prefix="in/",
        )
        iam = boto3.client("iam")
        iam.create_user(UserName="processor")
        iam.put_user_policy(
            UserName="processor", PolicyName="processor", PolicyDocument=json.dumps(document)
        )
        key = iam.create_access_key(UserName="processor")["AccessKey"]
        processor = boto3.client(
            "s3",
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        with enable_iam_authentication():
            yield processor


def error_code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


def test_processor_reads_lists_and_sees_missing_uploads_in_its_prefix(as_processor):
    assert as_processor.get_object(Bucket=MOTO_UPLOADS, Key="in/a.jpg")["Body"].read() == b"x"
    listed = as_processor.list_objects_v2(Bucket=MOTO_UPLOADS, Prefix="in/")
    assert [item["Key"] for item in listed["Contents"]] == ["in/a.jpg"]
    assert error_code(as_processor.head_object, Bucket=MOTO_UPLOADS, Key="in/gone.jpg") == "404"
    as_processor.put_object(Bucket=MOTO_PROCESSED, Key="a_thumbnail.jpg", Body=b"y")


def test_processor_is_denied_outside_its_grants(as_processor):
    assert error_code(as_processor.get_object, Bucket=MOTO_UPLOADS, Key="other/b.jpg") == (
        "AccessDenied"
    )
    denied = error_code(as_processor.put_object, Bucket=MOTO_UPLOADS, Key="in/x.jpg", Body=b"")
    assert denied == "AccessDenied"
    assert error_code(as_processor.delete_object, Bucket=MOTO_UPLOADS, Key="in/a.jpg") == (
        "AccessDenied"
    )


def test_processor_reads_sees_missing_and_removes_outputs(as_processor):
    as_processor.put_object(Bucket=MOTO_PROCESSED, Key="a_manifest.json", Body=b"{}")
    assert as_processor.get_object(Bucket=MOTO_PROCESSED, Key="a_manifest.json")["Body"].read()
    assert error_code(as_processor.head_object, Bucket=MOTO_PROCESSED, Key="gone.jpg") == "404"
    as_processor.delete_object(Bucket=MOTO_PROCESSED, Key="a_manifest.json")
