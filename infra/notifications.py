"""NotificationTopic: the SNS topic the function announces each outcome on.

Encrypted with the AWS-managed ``aws/sns`` key: SNS encrypts messages at rest with it, and the
function (a publisher in the same account, calling SNS) needs no KMS grant of its own, since that
key's policy lets principals of the account use it through SNS. The topic policy lets the account
subscribe and refuses anything without TLS; publishing is granted to the function's role alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.iam_documents import notification_topic_policy

SNS_MANAGED_KEY = "alias/aws/sns"


@dataclass(frozen=True)
class NotificationArgs:
    """Where the topic lives and how it is tagged."""

    account_id: pulumi.Input[str]
    tags: dict[str, str]


class NotificationTopic(pulumi.ComponentResource):
    """The encrypted notification topic and its policy."""

    topic: aws.sns.Topic
    policy: aws.sns.TopicPolicy

    def __init__(
        self, name: str, args: NotificationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("image-pipeline:processing:NotificationTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(
            f"{name}-topic", kms_master_key_id=SNS_MANAGED_KEY, tags=args.tags, opts=child
        )
        self.policy = aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, args.account_id).apply(
                lambda values: json.dumps(notification_topic_policy(values[0], values[1]))
            ),
            opts=child,
        )
        self.register_outputs({"topic_arn": self.topic.arn})
