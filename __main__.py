"""image-pipeline: read the stack configuration, compose the components, export the outputs."""

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from infra.bucket import BucketSettings, HardenedBucket
from infra.config import load_settings
from infra.failure import FailureArgs, FailureCapture
from infra.naming import physical_name, standard_tags
from infra.processor import ImageProcessor, ProcessorArgs
from infra.stack_outputs import StackOutputs

settings = load_settings(pulumi.Config())
tags = standard_tags(settings.environment)
suffix = random.RandomId("name-suffix", byte_length=4).hex


def bucket(purpose: str) -> HardenedBucket:
    """A hardened bucket named ``image-pipeline-<environment>-<purpose>-<suffix>``."""
    return HardenedBucket(
        purpose,
        BucketSettings(
            bucket_name=suffix.apply(lambda s: physical_name(settings.environment, purpose, s)),
            force_destroy=settings.force_destroy,
            noncurrent_version_days=settings.noncurrent_version_days,
            tags=tags,
            kms_key_arn=settings.kms_key_arn,
        ),
    )


uploads = bucket("uploads")
processed = bucket("processed")
processor = ImageProcessor(
    "processor",
    ProcessorArgs(
        settings=settings,
        function_name=suffix.apply(lambda s: physical_name(settings.environment, "processor", s)),
        upload_bucket=uploads,
        processed_bucket=processed,
        account_id=aws.get_caller_identity_output().account_id,
        tags=tags,
    ),
)
failure = FailureCapture(
    "failure",
    FailureArgs(settings=settings, function=processor.function, role=processor.role, tags=tags),
)

outputs = StackOutputs(
    upload_bucket_name=uploads.name,
    upload_bucket_arn=uploads.arn,
    processed_bucket_name=processed.name,
    processed_bucket_arn=processed.arn,
    function_name=processor.function.name,
    function_arn=processor.function.arn,
    function_role_arn=processor.role.arn,
    log_group_name=processor.log_group.name,
    failure_queue_url=failure.queue.url,
)
for name, value in outputs.items():
    pulumi.export(name, value)
