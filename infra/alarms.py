"""The alarm pieces both failure paths share: an optional SNS topic emailing the alarms, and
CloudWatch alarms on one metric, raised and cleared through that topic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

ALARM_PERIOD_SECONDS = 300


def email_topic(
    name: str, email: str | None, tags: dict[str, str], opts: pulumi.ResourceOptions
) -> aws.sns.Topic | None:
    """An SNS topic ``<name>-alarms`` with ``email`` subscribed; ``None`` without an email."""
    if not email:
        return None
    topic = aws.sns.Topic(f"{name}-alarms", tags=tags, opts=opts)
    aws.sns.TopicSubscription(
        f"{name}-alarms-email",
        topic=topic.arn,
        protocol="email",
        endpoint=email,
        opts=opts,
    )
    return topic


def metric_alarm(
    name: str,
    *,
    description: str,
    namespace: str,
    metric: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    statistic: str,
    threshold: float,
    actions: Sequence[pulumi.Input[str]],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm raised when ``metric`` is above ``threshold`` over one five-minute period
    (missing data is not breaching); ``actions`` hear of it being raised and cleared."""
    return aws.cloudwatch.MetricAlarm(
        name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric,
        dimensions=dict(dimensions),
        statistic=statistic,
        period=ALARM_PERIOD_SECONDS,
        evaluation_periods=1,
        threshold=threshold,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=list(actions),
        ok_actions=list(actions),
        tags=tags,
        opts=opts,
    )
