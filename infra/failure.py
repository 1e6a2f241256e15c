"""FailureCapture: where events the function could not process end up, and who hears of it
(direct ingest; with queue ingest the dead-letter queue of :mod:`infra.ingest` takes its place).

An event invoke config (retries, maximum event age) sending failed async events to an encrypted
SQS queue kept 14 days, the role's permission to send there, CloudWatch alarms on function
errors and on messages waiting in the queue, and an optional SNS topic emailing the alarms.
The topic is not encrypted: CloudWatch cannot publish to a topic encrypted with the AWS-managed
``aws/sns`` key, and the alarm messages carry only alarm names and states.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.alarms import email_topic, metric_alarm
from infra.config import StackSettings
from infra.iam_documents import failure_destination_policy

RETENTION_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class FailureArgs:
    """The function whose failures are captured."""

    settings: StackSettings
    function: aws.lambda_.Function
    role: aws.iam.Role
    tags: dict[str, str]


class FailureCapture(pulumi.ComponentResource):
    """Failure destination queue, invoke config and alarms for the processor function."""

    queue: aws.sqs.Queue
    invoke_config: aws.lambda_.FunctionEventInvokeConfig
    errors_alarm: aws.cloudwatch.MetricAlarm
    queue_alarm: aws.cloudwatch.MetricAlarm
    topic: aws.sns.Topic | None

    def __init__(
        self, name: str, args: FailureArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("image-pipeline:processing:FailureCapture", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            sqs_managed_sse_enabled=True,
            message_retention_seconds=RETENTION_SECONDS,
            tags=args.tags,
            opts=child,
        )
        send = aws.iam.RolePolicy(
            f"{name}-send",
            role=args.role.id,
            policy=self.queue.arn.apply(lambda arn: json.dumps(failure_destination_policy(arn))),
            opts=child,
        )
        self.invoke_config = aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-invoke-config",
            function_name=args.function.name,
            maximum_retry_attempts=settings.max_retry_attempts,
            maximum_event_age_in_seconds=settings.max_event_age_seconds,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=self.queue.arn
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[send]),
        )

        self.topic = email_topic(name, settings.alarm_email, args.tags, child)
        actions = [self.topic.arn] if self.topic else []
        self.errors_alarm = metric_alarm(
            f"{name}-function-errors",
            description="The image processor function reported errors",
            namespace="AWS/Lambda",
            metric="Errors",
            dimensions={"FunctionName": args.function.name},
            statistic="Sum",
            threshold=0,
            actions=actions,
            tags=args.tags,
            opts=child,
        )
        self.queue_alarm = metric_alarm(
            f"{name}-queued-failures",
            description="Failed image events are waiting in the failure queue",
            namespace="AWS/SQS",
            metric="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": self.queue.name},
            statistic="Maximum",
            threshold=0,
            actions=actions,
            tags=args.tags,
            opts=child,
        )
        self.register_outputs(
            {
                "queue_url": self.queue.url,
                "queue_arn": self.queue.arn,
                "topic_arn": self.topic.arn if self.topic else None,
            }
        )
