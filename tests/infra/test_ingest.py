"""The real program with ``ingest = queue``, under Pulumi mocks: S3 notifies an encrypted queue
only the upload bucket may send to, a dead-letter queue takes what fails every attempt, an event
source mapping feeds the function in batches with capped concurrency and partial batch
responses, and the async-invoke config and alarms give way to queue alarms."""

from __future__ import annotations

import json

import pytest

from infra.iam_documents import ingest_queue_policy, queue_consumer_policy, tls_only_queue_policy
from infra.ingest import redrive_policy, visibility_timeout
from tests.pulumi_harness import ACCOUNT_ID, RecordedStack, run_program

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
CONFIG = {
    "ingest": "queue",
    "timeout": "120",
    "queueBatchSize": "50",
    "queueBatchWindowSeconds": "2",
    "queueMaxConcurrency": "25",
    "queueMaxReceiveCount": "3",
    "queueAgeAlarmSeconds": "900",
    "uploadSuffixes": '[".jpg", ".png"]',
}


@pytest.fixture(scope="module")
def stack() -> RecordedStack:
    return run_program(CONFIG)


def test_queue_is_encrypted_redrives_and_outlasts_six_function_timeouts(stack):
    queue = stack.one(QUEUE, "ingest-queue")
    dead = stack.one(QUEUE, "ingest-dead-letters")
    assert queue.inputs["sqsManagedSseEnabled"] and dead.inputs["sqsManagedSseEnabled"]
    assert queue.inputs["visibilityTimeoutSeconds"] == 720 == visibility_timeout(120)
    assert json.loads(queue.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": dead.outputs["arn"],
        "maxReceiveCount": 3,
    }
    assert json.loads(redrive_policy("arn:q", 7))["maxReceiveCount"] == 7
    assert dead.inputs["messageRetentionSeconds"] == 14 * 24 * 3600


def test_queue_policy_admits_only_the_upload_bucket_of_this_account_over_tls(stack):
    queue = stack.one(QUEUE, "ingest-queue")
    dead = stack.one(QUEUE, "ingest-dead-letters")
    uploads = stack.one("aws:s3/bucket:Bucket", "uploads").outputs["arn"]
    policies = {p.name: p for p in stack.of_type(QUEUE_POLICY)}
    main = policies["ingest-queue-policy"]
    assert main.inputs["queueUrl"] == queue.outputs["url"]
    document = json.loads(main.inputs["policy"])
    assert document == ingest_queue_policy(queue.outputs["arn"], uploads, ACCOUNT_ID)
    allow, deny = document["Statement"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"] == {
        "ArnEquals": {"aws:SourceArn": uploads},
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
    }
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert json.loads(policies["ingest-dead-letters-policy"].inputs["policy"]) == (
        tls_only_queue_policy(dead.outputs["arn"])
    )


def test_notification_targets_the_queue_after_its_policy_and_no_invoke_permission(stack):
    notification = stack.one(NOTIFICATION)
    queue = stack.one(QUEUE, "ingest-queue")
    assert "lambdaFunctions" not in notification.inputs
    assert notification.inputs["queues"] == [
        {
            "queueArn": queue.outputs["arn"],
            "events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
            "filterSuffix": s,
        }
        for s in (".jpg", ".png")
    ]
    assert stack.depends_on(notification, stack.one(QUEUE_POLICY, "ingest-queue-policy"))
    assert not stack.of_type("aws:lambda/permission:Permission")


def test_mapping_batches_caps_concurrency_and_reports_batch_item_failures(stack):
    mapping = stack.one(MAPPING)
    queue = stack.one(QUEUE, "ingest-queue")
    function = stack.one("aws:lambda/function:Function")
    assert mapping.inputs["eventSourceArn"] == queue.outputs["arn"]
    assert mapping.inputs["functionName"] == function.outputs["arn"]
    assert mapping.inputs["batchSize"] == 50
    assert mapping.inputs["maximumBatchingWindowInSeconds"] == 2
    assert mapping.inputs["scalingConfig"] == {"maximumConcurrency": 25}
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    consume = stack.one("aws:iam/rolePolicy:RolePolicy", "ingest-consumer-consume")
    assert json.loads(consume.inputs["policy"]) == queue_consumer_policy(queue.outputs["arn"])
    assert consume.inputs["role"] == stack.one("aws:iam/role:Role").id
    assert stack.depends_on(mapping, consume)


def test_queue_alarms_replace_the_async_invoke_ones(stack):
    assert not stack.of_type("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    assert not [r for r in stack.resources if r.type.endswith("FailureCapture")]
    alarms = {a.name: a.inputs for a in stack.of_type(ALARM)}
    assert set(alarms) == {"ingest-dead-letters-waiting", "ingest-oldest-upload-age"}
    dead = stack.one(QUEUE, "ingest-dead-letters")
    queue = stack.one(QUEUE, "ingest-queue")
    waiting = alarms["ingest-dead-letters-waiting"]
    assert waiting["dimensions"] == {"QueueName": dead.outputs["name"]}
    assert (waiting["metricName"], waiting["threshold"]) == (
        "ApproximateNumberOfMessagesVisible",
        0,
    )
    age = alarms["ingest-oldest-upload-age"]
    assert age["dimensions"] == {"QueueName": queue.outputs["name"]}
    assert (age["metricName"], age["threshold"]) == ("ApproximateAgeOfOldestMessage", 900)
    assert stack.outputs["failure_queue_url"] == dead.outputs["url"]
    assert stack.outputs["ingest_queue_url"] == queue.outputs["url"]


def test_alarm_email_notifies_both_queue_alarms():
    stack = run_program({"ingest": "queue", "alarmEmail": "ops@example.com"})
    topic = stack.one("aws:sns/topic:Topic", "ingest-alarms")
    for alarm in stack.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]] == alarm.inputs["okActions"]
    assert stack.one("aws:sns/topicSubscription:TopicSubscription").inputs["endpoint"] == (
        "ops@example.com"
    )


def test_direct_ingest_has_no_queue_mapping():
    stack = run_program({"ingest": "direct"})
    assert not stack.of_type(MAPPING) and not stack.of_type(QUEUE_POLICY)
    assert stack.outputs["ingest_queue_url"] == ""
    assert stack.one("aws:lambda/permission:Permission")
