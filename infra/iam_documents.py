"""IAM and bucket policy documents as plain dicts, built from resolved ARNs. Pure functions.

Least privilege by construction: every statement names exact actions (no wildcards) on exact
resources (never ``"*"``), and nothing grants ACL changes (bucket ownership is enforced).
"""

from __future__ import annotations

from typing import Any

VERSION = "2012-10-17"
Document = dict[str, Any]


def lambda_assume_role_policy() -> Document:
    """Trust policy: only the Lambda service may assume the role."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "LambdaAssumesRole",
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def objects_arn(bucket_arn: str, prefix: str = "") -> str:
    """ARN of the objects in ``bucket_arn`` whose keys start with ``prefix``."""
    return f"{bucket_arn}/{prefix}*"


def log_streams_arn(log_group_arn: str) -> str:
    """ARN of every stream of a log group, whether or not the given ARN ends with ``:*``."""
    return f"{log_group_arn.removesuffix(':*')}:*"


def see_missing_uploads(upload_bucket_arn: str, upload_prefix: str = "") -> dict[str, Any]:
    """``s3:ListBucket`` on the upload bucket, only for listings under ``upload_prefix``."""
    statement: dict[str, Any] = {
        "Sid": "SeeMissingUploads",
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "Resource": [upload_bucket_arn],
    }
    if upload_prefix:
        statement["Condition"] = {"StringLike": {"s3:prefix": [f"{upload_prefix}*"]}}
    return statement


def processor_policy(
    upload_bucket_arn: str,
    processed_bucket_arn: str,
    log_group_arn: str,
    *,
    upload_prefix: str = "",
    kms_key_arn: str | None = None,
    notification_topic_arn: str | None = None,
) -> Document:
    """The function's permissions: read uploads, write variants, write its own logs.

    On the processed bucket: write outputs with their tags (``s3:PutObjectTagging`` is what
    ``PutObject`` with tags needs), read them back (a manifest, or an output's source metadata to
    see who owns a name), list the bucket (so a missing output is a 404, not a 403) and delete
    outputs (of a deleted upload, of a failed attempt, a stale manifest). With a topic, publish
    to that topic only.

    ``s3:ListBucket`` on the upload bucket (the bucket, not its objects) is what makes S3 answer
    404 rather than 403 for an upload deleted before the function read it, so the function
    rejects it as gone instead of retrying it into the failure queue. With ``upload_prefix`` the
    listing is narrowed to keys under that prefix (``s3:prefix``), so the function cannot list
    the rest of the bucket.

    With a KMS key, also decrypt (to read uploads) and generate data keys (to write variants)
    with that key only.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadUploads",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": [objects_arn(upload_bucket_arn, upload_prefix)],
        },
        see_missing_uploads(upload_bucket_arn, upload_prefix),
        {
            "Sid": "WriteVariants",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:PutObjectTagging"],
            "Resource": [objects_arn(processed_bucket_arn)],
        },
        {
            "Sid": "ReadAndRemoveOutputs",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:DeleteObject"],
            "Resource": [objects_arn(processed_bucket_arn)],
        },
        {
            "Sid": "SeeMissingOutputs",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [processed_bucket_arn],
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_streams_arn(log_group_arn)],
        },
    ]
    if notification_topic_arn:
        statements.append(
            {
                "Sid": "PublishOutcomes",
                "Effect": "Allow",
                "Action": ["sns:Publish"],
                "Resource": [notification_topic_arn],
            }
        )
    if kms_key_arn:
        statements.append(
            {
                "Sid": "UseBucketKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [kms_key_arn],
            }
        )
    return {"Version": VERSION, "Statement": statements}


def failure_destination_policy(queue_arn: str) -> Document:
    """Lets the function's role send failed async events to the failure queue, nothing else."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "SendFailedEvents",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": [queue_arn],
            }
        ],
    }


def notification_topic_policy(topic_arn: str, account_id: str) -> Document:
    """Resource policy of the notification topic: the owning account may subscribe and read the
    topic's attributes (publishing is granted to the function's role alone, by its own policy),
    and nothing is accepted without TLS."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "AccountSubscribes",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": [
                    "sns:Subscribe",
                    "sns:GetTopicAttributes",
                    "sns:ListSubscriptionsByTopic",
                ],
                "Resource": [topic_arn],
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["sns:Publish", "sns:Subscribe"],
                "Resource": [topic_arn],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def tls_only_bucket_policy(bucket_arn: str) -> Document:
    """Bucket policy denying every request made without TLS."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, objects_arn(bucket_arn)],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def cloudfront_read_statement(bucket_arn: str, distribution_arn: str) -> dict[str, Any]:
    """Lets one CloudFront distribution (signing through Origin Access Control) read objects;
    ``AWS:SourceArn`` keeps every other distribution, of any account, out."""
    return {
        "Sid": "AllowCloudFrontDistributionRead",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": [objects_arn(bucket_arn)],
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }


def bucket_policy(bucket_arn: str, distribution_arn: str | None = None) -> Document:
    """The one policy of a bucket: TLS only, plus read by ``distribution_arn`` when given."""
    document = tls_only_bucket_policy(bucket_arn)
    if distribution_arn:
        document["Statement"].append(cloudfront_read_statement(bucket_arn, distribution_arn))
    return document


def deny_insecure_queue_access(queue_arn: str) -> dict[str, Any]:
    """Denies every request to the queue made without TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": queue_arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def ingest_queue_policy(queue_arn: str, upload_bucket_arn: str, account_id: str) -> Document:
    """The ingest queue's policy: only S3 notifications of the upload bucket in this account
    may send to it, and only over TLS."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "AllowUploadBucketNotifications",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": upload_bucket_arn},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            },
            deny_insecure_queue_access(queue_arn),
        ],
    }


def tls_only_queue_policy(queue_arn: str) -> Document:
    """A queue policy denying every request made without TLS (and granting nothing)."""
    return {"Version": VERSION, "Statement": [deny_insecure_queue_access(queue_arn)]}


def queue_consumer_policy(queue_arn: str) -> Document:
    """What Lambda's event source mapping needs of the function's role to poll the queue."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "ConsumeIngestQueue",
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": [queue_arn],
            }
        ],
    }
