"""ImageProcessor: the Lambda function that turns uploads into variants, and what it needs.

Role and inline policy, Pillow layer, log group (created before the function), the function,
and the upload bucket's notification: to the function (with the permission letting S3 invoke it)
or, with queue ingest, to the ingest queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.bucket import HardenedBucket
from infra.config import StackSettings, function_environment
from infra.iam_documents import lambda_assume_role_policy, processor_policy
from infra.ingest import IngestQueue
from infra.layer import PillowLayer
from infra.packaging import HANDLER, function_archive
from layer.build import RUNTIME

OBJECT_CREATED = "s3:ObjectCreated:*"
OBJECT_REMOVED = "s3:ObjectRemoved:*"


@dataclass(frozen=True)
class ProcessorArgs:
    """What the processor is wired to."""

    settings: StackSettings
    function_name: pulumi.Input[str]
    upload_bucket: HardenedBucket
    processed_bucket: HardenedBucket
    account_id: pulumi.Input[str]
    tags: dict[str, str]
    # Queue ingest: S3 notifies this component's queue instead of the function.
    ingest: IngestQueue | None = None
    notification_topic_arn: pulumi.Input[str] | None = None


def trigger_events(settings: StackSettings) -> list[str]:
    """The upload bucket's events the function receives: creations, and removals when outputs
    follow deletes."""
    return [OBJECT_CREATED, OBJECT_REMOVED] if settings.delete_outputs else [OBJECT_CREATED]


def notification_filters(prefix: str, suffixes: tuple[str, ...]) -> list[dict[str, str]]:
    """One S3 notification filter per suffix (S3 allows one suffix per entry), all sharing the
    prefix; a single entry without a suffix filter when there are no suffixes."""
    base = {"filter_prefix": prefix} if prefix else {}
    if not suffixes:
        return [base]
    return [{**base, "filter_suffix": suffix} for suffix in suffixes]


class ImageProcessor(pulumi.ComponentResource):
    """The image-processing function and everything it needs to run on S3 events."""

    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup
    layer: PillowLayer
    function: aws.lambda_.Function
    permission: aws.lambda_.Permission | None
    notification: aws.s3.BucketNotification

    def __init__(
        self, name: str, args: ProcessorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("image-pipeline:processing:ImageProcessor", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=pulumi.Output.concat("/aws/lambda/", args.function_name),
            retention_in_days=settings.log_retention_days,
            tags=args.tags,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            description="Execution role of the image-pipeline processor function",
            assume_role_policy=json.dumps(lambda_assume_role_policy()),
            tags=args.tags,
            opts=child,
        )
        access = aws.iam.RolePolicy(
            f"{name}-access",
            role=self.role.id,
            policy=pulumi.Output.all(
                args.upload_bucket.arn,
                args.processed_bucket.arn,
                self.log_group.arn,
                args.notification_topic_arn or "",
            ).apply(
                lambda arns: json.dumps(
                    processor_policy(
                        upload_bucket_arn=arns[0],
                        processed_bucket_arn=arns[1],
                        log_group_arn=arns[2],
                        upload_prefix=settings.upload_prefix,
                        kms_key_arn=settings.kms_key_arn,
                        notification_topic_arn=arns[3] or None,
                    )
                )
            ),
            opts=child,
        )
        self.layer = PillowLayer(f"{name}-pillow", settings.architecture, opts=child)

        self.function = aws.lambda_.Function(
            name,
            name=args.function_name,
            description="Writes web-ready variants of every upload to the processed bucket",
            role=self.role.arn,
            runtime=RUNTIME,
            handler=HANDLER,
            code=function_archive(),
            layers=[self.layer.arn],
            architectures=[settings.architecture],
            memory_size=settings.memory_size,
            timeout=settings.timeout,
            reserved_concurrent_executions=settings.reserved_concurrency,
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={
                    "PROCESSED_BUCKET": args.processed_bucket.name,
                    "NOTIFICATION_TOPIC_ARN": args.notification_topic_arn or "",
                    **function_environment(settings),
                }
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=self.log_group.name,
                application_log_level="INFO",
                system_log_level="WARN",
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, access]),
        )
        filters = notification_filters(settings.upload_prefix, settings.upload_suffixes)
        events = trigger_events(settings)
        if args.ingest is not None:
            self.permission = None
            self.notification = aws.s3.BucketNotification(
                f"{name}-trigger",
                bucket=args.upload_bucket.bucket.id,
                queues=[
                    aws.s3.BucketNotificationQueueArgs(
                        queue_arn=args.ingest.queue.arn, events=events, **entry
                    )
                    for entry in filters
                ],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[args.ingest.queue_policy]),
            )
        else:
            self.permission = aws.lambda_.Permission(
                f"{name}-s3-invoke",
                action="lambda:InvokeFunction",
                function=self.function.name,
                principal="s3.amazonaws.com",
                source_arn=args.upload_bucket.arn,
                source_account=args.account_id,
                opts=child,
            )
            self.notification = aws.s3.BucketNotification(
                f"{name}-trigger",
                bucket=args.upload_bucket.bucket.id,
                lambda_functions=[
                    aws.s3.BucketNotificationLambdaFunctionArgs(
                        lambda_function_arn=self.function.arn,
                        events=trigger_events(settings),
                        **entry,
                    )
                    for entry in filters
                ],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.permission]),
            )
        self.register_outputs(
            {
                "function_name": self.function.name,
                "function_arn": self.function.arn,
                "role_arn": self.role.arn,
                "log_group_name": self.log_group.name,
                "layer_arn": self.layer.arn,
            }
        )
