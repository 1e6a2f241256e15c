"""HardenedBucket: a private, versioned, encrypted, TLS-only S3 bucket with lifecycle rules."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_aws.s3 import (
    BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs as SseDefault,
)

from infra.iam_documents import bucket_policy

ABORT_INCOMPLETE_UPLOADS_DAYS = 7


@dataclass(frozen=True)
class BucketSettings:
    """How a HardenedBucket is configured."""

    bucket_name: pulumi.Input[str]
    force_destroy: bool
    noncurrent_version_days: int
    tags: dict[str, str]
    kms_key_arn: str | None = None
    # A CloudFront distribution allowed to read objects through Origin Access Control.
    reader_distribution_arn: pulumi.Input[str] | None = None


class HardenedBucket(pulumi.ComponentResource):
    """An S3 bucket with versioning, default encryption (AES256, or SSE-KMS with a key), all
    four public access blocks, ``BucketOwnerEnforced`` ownership, a deny-without-TLS policy (which
    also lets one CloudFront distribution read, when given) and lifecycle rules expiring
    noncurrent versions and aborting incomplete multipart uploads."""

    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, settings: BucketSettings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("image-pipeline:storage:HardenedBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.bucket = aws.s3.Bucket(
            name,
            bucket=settings.bucket_name,
            force_destroy=settings.force_destroy,
            tags=settings.tags,
            opts=child,
        )
        bucket_id = self.bucket.id

        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[_encryption_rule(settings.kms_key_arn)],
            opts=child,
        )
        self.policy = aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket_id,
            policy=pulumi.Output.all(self.bucket.arn, settings.reader_distribution_arn).apply(
                lambda arns: json.dumps(bucket_policy(arns[0], arns[1]))
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access, ownership]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-noncurrent-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=(
                        aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                            noncurrent_days=settings.noncurrent_version_days
                        )
                    ),
                ),
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="abort-incomplete-multipart-uploads",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    abort_incomplete_multipart_upload=(
                        aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                            days_after_initiation=ABORT_INCOMPLETE_UPLOADS_DAYS
                        )
                    ),
                ),
            ],
            opts=child,
        )

        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"name": self.name, "arn": self.arn})


def _encryption_rule(
    kms_key_arn: str | None,
) -> aws.s3.BucketServerSideEncryptionConfigurationRuleArgs:
    if kms_key_arn:
        default = SseDefault(sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn)
        return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=default, bucket_key_enabled=True
        )
    default = SseDefault(sse_algorithm="AES256")
    return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=default
    )
