"""Queue-buffered ingest: S3 notifications wait in SQS and Lambda polls them in batches.

:class:`IngestQueue` is the encrypted queue S3 sends to (its policy admits only the upload
bucket's notifications from this account, over TLS), its dead-letter queue with the redrive
policy, and the alarms on both. :class:`QueueConsumer` is the event source mapping feeding the
function (batch size, batching window, maximum concurrency, partial batch responses) and the
role's permission to poll. A burst of uploads then waits in the queue instead of throttling the
function, and the concurrency it reaches is capped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.alarms import email_topic, metric_alarm
from infra.config import StackSettings
from infra.iam_documents import ingest_queue_policy, queue_consumer_policy, tls_only_queue_policy

# AWS's advice for a queue feeding Lambda: a visibility timeout of six times the function's
# timeout, so a batch being retried by the poller is not handed out again meanwhile.
VISIBILITY_TIMEOUT_FACTOR = 6
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600


def visibility_timeout(function_timeout: int) -> int:
    """The ingest queue's visibility timeout in seconds for a function ``function_timeout`` long."""
    return VISIBILITY_TIMEOUT_FACTOR * function_timeout


def redrive_policy(dead_letter_arn: str, max_receive_count: int) -> str:
    """The redrive policy: after ``max_receive_count`` receives, to the dead-letter queue."""
    return json.dumps(
        {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count}
    )


@dataclass(frozen=True)
class IngestArgs:
    """Where notifications come from."""

    settings: StackSettings
    upload_bucket_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    tags: dict[str, str]


class IngestQueue(pulumi.ComponentResource):
    """The ingest queue, its dead-letter queue, their policies and alarms."""

    queue: aws.sqs.Queue
    dead_letter_queue: aws.sqs.Queue
    queue_policy: aws.sqs.QueuePolicy
    dead_letter_alarm: aws.cloudwatch.MetricAlarm
    age_alarm: aws.cloudwatch.MetricAlarm
    topic: aws.sns.Topic | None

    def __init__(
        self, name: str, args: IngestArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("image-pipeline:ingest:IngestQueue", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-dead-letters",
            sqs_managed_sse_enabled=True,
            message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
            tags=args.tags,
            opts=child,
        )
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            sqs_managed_sse_enabled=True,
            message_retention_seconds=QUEUE_RETENTION_SECONDS,
            visibility_timeout_seconds=visibility_timeout(settings.timeout),
            redrive_policy=self.dead_letter_queue.arn.apply(
                lambda arn: redrive_policy(arn, settings.queue_max_receive_count)
            ),
            tags=args.tags,
            opts=child,
        )
        self.queue_policy = aws.sqs.QueuePolicy(
            f"{name}-queue-policy",
            queue_url=self.queue.url,
            policy=pulumi.Output.all(self.queue.arn, args.upload_bucket_arn, args.account_id).apply(
                lambda values: json.dumps(ingest_queue_policy(values[0], values[1], values[2]))
            ),
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-dead-letters-policy",
            queue_url=self.dead_letter_queue.url,
            policy=self.dead_letter_queue.arn.apply(
                lambda arn: json.dumps(tls_only_queue_policy(arn))
            ),
            opts=child,
        )

        self.topic = email_topic(name, settings.alarm_email, args.tags, child)
        actions = [self.topic.arn] if self.topic else []
        self.dead_letter_alarm = metric_alarm(
            f"{name}-dead-letters-waiting",
            description="Upload notifications failed every attempt: see the dead-letter queue",
            namespace="AWS/SQS",
            metric="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": self.dead_letter_queue.name},
            statistic="Maximum",
            threshold=0,
            actions=actions,
            tags=args.tags,
            opts=child,
        )
        self.age_alarm = metric_alarm(
            f"{name}-oldest-upload-age",
            description=(
                f"An upload notification has waited over {settings.queue_age_alarm_seconds} s "
                "in the ingest queue"
            ),
            namespace="AWS/SQS",
            metric="ApproximateAgeOfOldestMessage",
            dimensions={"QueueName": self.queue.name},
            statistic="Maximum",
            threshold=settings.queue_age_alarm_seconds,
            actions=actions,
            tags=args.tags,
            opts=child,
        )
        self.register_outputs(
            {
                "queue_url": self.queue.url,
                "queue_arn": self.queue.arn,
                "dead_letter_queue_url": self.dead_letter_queue.url,
                "topic_arn": self.topic.arn if self.topic else None,
            }
        )


@dataclass(frozen=True)
class ConsumerArgs:
    """The queue and the function polling it."""

    settings: StackSettings
    queue: aws.sqs.Queue
    function: aws.lambda_.Function
    role: aws.iam.Role


class QueueConsumer(pulumi.ComponentResource):
    """The event source mapping from the ingest queue to the function, and the role's permission
    to receive and delete its messages."""

    mapping: aws.lambda_.EventSourceMapping

    def __init__(
        self, name: str, args: ConsumerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("image-pipeline:ingest:QueueConsumer", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        consume = aws.iam.RolePolicy(
            f"{name}-consume",
            role=args.role.id,
            policy=args.queue.arn.apply(lambda arn: json.dumps(queue_consumer_policy(arn))),
            opts=child,
        )
        self.mapping = aws.lambda_.EventSourceMapping(
            name,
            event_source_arn=args.queue.arn,
            function_name=args.function.arn,
            batch_size=settings.queue_batch_size,
            maximum_batching_window_in_seconds=settings.queue_batch_window_seconds,
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=settings.queue_max_concurrency
            ),
            function_response_types=["ReportBatchItemFailures"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[consume]),
        )
        self.register_outputs({"mapping_uuid": self.mapping.uuid})
