"""image-pipeline: read the stack configuration, compose the components, export the outputs."""

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from infra.bucket import BucketSettings, HardenedBucket
from infra.cdn import CdnArgs, ContentDelivery
from infra.config import load_settings
from infra.failure import FailureArgs, FailureCapture
from infra.ingest import ConsumerArgs, IngestArgs, IngestQueue, QueueConsumer
from infra.naming import physical_name, standard_tags
from infra.notifications import NotificationArgs, NotificationTopic
from infra.processor import ImageProcessor, ProcessorArgs
from infra.stack_outputs import StackOutputs

settings = load_settings(pulumi.Config())
tags = standard_tags(settings.environment)
suffix = random.RandomId("name-suffix", byte_length=4).hex
account_id = aws.get_caller_identity_output().account_id


def bucket_name(purpose: str) -> pulumi.Output[str]:
    """``image-pipeline-<environment>-<purpose>-<suffix>``."""
    return suffix.apply(lambda s: physical_name(settings.environment, purpose, s))


def bucket(
    purpose: str, reader_distribution_arn: pulumi.Output[str] | None = None
) -> HardenedBucket:
    """A hardened bucket named by :func:`bucket_name`."""
    return HardenedBucket(
        purpose,
        BucketSettings(
            bucket_name=bucket_name(purpose),
            force_destroy=settings.force_destroy,
            noncurrent_version_days=settings.noncurrent_version_days,
            tags=tags,
            kms_key_arn=settings.kms_key_arn,
            reader_distribution_arn=reader_distribution_arn,
        ),
    )


uploads = bucket("uploads")
# The distribution's origin is the processed bucket's name, known before the bucket exists, so the
# bucket's one policy (TLS only, plus read by this distribution) can name the distribution.
cdn = None
if settings.cdn:
    cdn = ContentDelivery(
        "cdn",
        CdnArgs(
            settings=settings,
            bucket_name=bucket_name("processed"),
            region=aws.get_region_output().region,
            tags=tags,
        ),
    )
processed = bucket("processed", cdn.distribution.arn if cdn else None)
ingest = None
if settings.ingest == "queue":
    ingest = IngestQueue(
        "ingest",
        IngestArgs(
            settings=settings, upload_bucket_arn=uploads.arn, account_id=account_id, tags=tags
        ),
    )
notifications = (
    NotificationTopic("notifications", NotificationArgs(account_id=account_id, tags=tags))
    if settings.notifications
    else None
)
processor = ImageProcessor(
    "processor",
    ProcessorArgs(
        settings=settings,
        function_name=suffix.apply(lambda s: physical_name(settings.environment, "processor", s)),
        upload_bucket=uploads,
        processed_bucket=processed,
        account_id=account_id,
        tags=tags,
        ingest=ingest,
        notification_topic_arn=notifications.topic.arn if notifications else None,
    ),
)
if ingest:
    QueueConsumer(
        "ingest-consumer",
        ConsumerArgs(
            settings=settings, queue=ingest.queue, function=processor.function, role=processor.role
        ),
    )
    failure_queue_url = ingest.dead_letter_queue.url
else:
    failure = FailureCapture(
        "failure",
        FailureArgs(settings=settings, function=processor.function, role=processor.role, tags=tags),
    )
    failure_queue_url = failure.queue.url

outputs = StackOutputs(
    upload_bucket_name=uploads.name,
    upload_bucket_arn=uploads.arn,
    processed_bucket_name=processed.name,
    processed_bucket_arn=processed.arn,
    function_name=processor.function.name,
    function_arn=processor.function.arn,
    function_role_arn=processor.role.arn,
    log_group_name=processor.log_group.name,
    failure_queue_url=failure_queue_url,
    ingest_queue_url=ingest.queue.url if ingest else "",
    cdn_domain_name=cdn.domain_name if cdn else "",
    notification_topic_arn=notifications.topic.arn if notifications else "",
)
for name, value in outputs.items():
    pulumi.export(name, value)
