"""The pipeline without a cloud: the real handler fed real S3 events from the embedded S3 endpoint.

:class:`LocalPipeline` creates the stack's two buckets on a running
:class:`~local.local_s3.LocalS3`, sets the environment the stack gives the function
(``PROCESSED_BUCKET``, ``VARIANTS``, ..., ``AWS_ENDPOINT_URL`` pointing at the endpoint, dummy
credentials) and imports ``function.lambda_function`` afresh, exactly as Lambda does at a cold
start. :meth:`LocalPipeline.deliver`
sends one S3 ``ObjectCreated`` event for an uploaded object and :meth:`LocalPipeline.delete` the
``ObjectRemoved`` event of a delete; :meth:`LocalPipeline.watch` starts a :class:`WatchDispatcher`
that does so for every new object version and delete marker, so any S3 client can upload, delete
and wait for outputs as it would against a deployed stack.

The function publishes its notifications to an SNS topic on the same endpoint, with an SQS queue
subscribed to it: :meth:`LocalPipeline.notifications` reads what arrived.

Like Lambda's asynchronous invocation, an event whose handler raises is retried (twice by default)
and then recorded in :attr:`LocalPipeline.failures`, the local counterpart of the failure queue.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType, TracebackType
from typing import Any, Self

import boto3

from function.result import HandlerResult
from function.s3_event import Sequencer, event_name_for, object_created_event, object_removed_event
from function.settings import DEFAULT_MEMORY_MB, configured_environment
from function.variant_spec import parse_variants
from function.watermark import parse_watermark
from infra.stack_outputs import StackOutputs
from local.local_s3 import DUMMY_CREDENTIALS, BucketNames, LocalS3, create_stack_buckets

logger = logging.getLogger(__name__)

HANDLER_MODULE = "function.lambda_function"
TOPIC_NAME = "image-pipeline-notifications-local"
SUBSCRIBER_QUEUE = "image-pipeline-subscriber-local"
ACCOUNT_ID = "123456789012"
# Variables that would redirect or re-credential the function's boto3 client: cleared, as in Lambda.
_CLEARED_ENV = (
    "AWS_ENDPOINT_URL_S3",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_LOG_LEVEL",
)


class FunctionLoadError(RuntimeError):
    """The handler could not be imported (missing file, or a configuration error at cold start)."""


@dataclass(frozen=True)
class FunctionConfig:
    """What the stack configures on the function; ``None`` leaves the handler's default."""

    variants_json: str | None = None
    max_input_bytes: int | None = None
    max_pixels: int | None = None
    keep_exif: bool = False
    watermark_json: str | None = None
    delete_outputs: bool = True
    memory_mb: int = DEFAULT_MEMORY_MB
    timeout_s: int = 60
    function_name: str = "image-pipeline-local"


@dataclass
class Delivery:
    """One event delivered to the handler and what came of it."""

    key: str
    version_id: str | None
    event: dict[str, Any]
    result: HandlerResult | None = None
    error: str | None = None
    attempts: int = 0
    duration_ms: float = 0.0

    @property
    def succeeded(self) -> bool:
        """Whether the handler returned (the upload may still have been rejected)."""
        return self.result is not None


@dataclass
class LocalLambdaContext:
    """The attributes and method of Lambda's context object that handlers use."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    region: str
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.invoked_function_arn = (
            f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"
        )
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]local"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the configured timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def function_environment(
    config: FunctionConfig,
    processed_bucket: str,
    endpoint_url: str,
    region: str,
    topic_arn: str | None = None,
) -> dict[str, str | None]:
    """The environment the function runs with (``None`` = unset): the stack's variables, Lambda's
    own, and the embedded endpoint with dummy credentials."""
    env: dict[str, str | None] = dict.fromkeys(_CLEARED_ENV)
    env.update(
        {
            "PROCESSED_BUCKET": processed_bucket,
            "NOTIFICATION_TOPIC_ARN": topic_arn or "",
            "VARIANTS": None,
            "MAX_INPUT_BYTES": None,
            "MAX_PIXELS": None,
            "WATERMARK": None,
            **configured_environment(
                variants=parse_variants(config.variants_json),
                keep_exif=config.keep_exif,
                max_input_bytes=config.max_input_bytes,
                max_pixels=config.max_pixels,
                watermark=parse_watermark(config.watermark_json),
                delete_outputs=config.delete_outputs,
            ),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            "AWS_LAMBDA_FUNCTION_NAME": config.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config.function_name}",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    return env


@contextlib.contextmanager
def patched_environ(changes: Mapping[str, str | None]) -> Iterator[None]:
    """Apply ``changes`` to ``os.environ`` (``None`` unsets) and restore the previous values."""
    previous = {name: os.environ.get(name) for name in changes}
    try:
        _apply_environ(changes)
        yield
    finally:
        _apply_environ(previous)


def _apply_environ(changes: Mapping[str, str | None]) -> None:
    for name, value in changes.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextlib.contextmanager
def cold_start() -> Iterator[ModuleType]:
    """Import the handler module afresh, as Lambda does at a cold start, so it reads the current
    environment; the module imported before (by tests, say) and boto3's default session are
    restored afterwards. Raises :class:`FunctionLoadError` if the import fails.
    """
    saved_module = sys.modules.pop(HANDLER_MODULE, None)
    saved_session = boto3.DEFAULT_SESSION
    boto3.DEFAULT_SESSION = None
    try:
        try:
            module = importlib.import_module(HANDLER_MODULE)
        except Exception as exc:
            raise FunctionLoadError(
                f"the handler failed at cold start: {type(exc).__name__}: {exc}"
            ) from exc
        yield module
    finally:
        sys.modules.pop(HANDLER_MODULE, None)
        if saved_module is not None:
            sys.modules[HANDLER_MODULE] = saved_module
        boto3.DEFAULT_SESSION = saved_session


class LocalPipeline:
    """The stack's buckets and function, run locally against a :class:`LocalS3`.

    Use as a context manager. While it is open, ``os.environ`` holds the function's environment
    (restored on exit) and :attr:`client` is an S3 client for the endpoint.
    """

    def __init__(
        self,
        s3: LocalS3,
        *,
        buckets: BucketNames | None = None,
        config: FunctionConfig | None = None,
        retries: int = 2,
        retry_delay_s: float = 0.2,
    ) -> None:
        self.s3 = s3
        self.buckets = buckets or BucketNames()
        self.config = config or FunctionConfig()
        self.retries = retries
        self.retry_delay_s = retry_delay_s
        self.deliveries: list[Delivery] = []
        self.failures: list[Delivery] = []
        self.client: Any = None
        self.function_module: ModuleType | None = None
        self.topic_arn: str | None = None
        self._queue_url: str | None = None
        self._sqs: Any = None
        self._handler: Any = None
        self._delivered: set[tuple[str, str | None]] = set()
        self._lock = threading.RLock()
        self._sequencer = Sequencer()
        self._stack = contextlib.ExitStack()

    @property
    def upload_bucket(self) -> str:
        """Name of the upload bucket."""
        return self.buckets.upload

    @property
    def processed_bucket(self) -> str:
        """Name of the processed bucket."""
        return self.buckets.processed

    def __enter__(self) -> Self:
        with contextlib.ExitStack() as stack:
            self.client = self.s3.client()
            create_stack_buckets(self.client, self.buckets, self.s3.region)
            self.topic_arn = self._subscribe_queue()
            env = function_environment(
                self.config,
                self.processed_bucket,
                self.s3.endpoint_url,
                self.s3.region,
                self.topic_arn,
            )
            stack.enter_context(patched_environ(env))
            module = stack.enter_context(cold_start())
            self.function_module = module
            self._handler = module.lambda_handler
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()
        self._handler = None
        self.function_module = None

    def _subscribe_queue(self) -> str:
        """Create the notification topic and a queue subscribed to it; returns the topic ARN."""
        sns = self.s3.client(service="sns")
        self._sqs = self.s3.client(service="sqs")
        topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
        self._queue_url = self._sqs.create_queue(QueueName=SUBSCRIBER_QUEUE)["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(
            QueueUrl=self._queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        return topic_arn

    def notifications(self) -> list[dict[str, Any]]:
        """The notifications that reached the subscribed queue since the last call (each message's
        JSON body), in arrival order; they are removed from the queue."""
        messages: list[dict[str, Any]] = []
        while True:
            batch = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not batch:
                return messages
            for message in batch:
                messages.append(json.loads(json.loads(message["Body"])["Message"]))
                self._sqs.delete_message(
                    QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def stack_outputs(self) -> dict[str, str]:
        """The stack outputs a deployed stack would give (``pulumi stack output --json``), naming
        the local buckets and function; the log group and queue are nominal."""
        name = self.config.function_name
        region = self.s3.region
        outputs = StackOutputs(
            upload_bucket_name=self.upload_bucket,
            upload_bucket_arn=f"arn:aws:s3:::{self.upload_bucket}",
            processed_bucket_name=self.processed_bucket,
            processed_bucket_arn=f"arn:aws:s3:::{self.processed_bucket}",
            function_name=name,
            function_arn=f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}",
            function_role_arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{name}-role",
            log_group_name=f"/aws/lambda/{name}",
            failure_queue_url=f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{name}-failures",
            ingest_queue_url="",
            cdn_domain_name="",
            notification_topic_arn=self.topic_arn or "",
        )
        return dict(outputs.items())

    def upload(self, key: str, body: bytes, content_type: str | None = None) -> str | None:
        """Put ``body`` under ``key`` in the upload bucket; returns the new version id."""
        extra = {"ContentType": content_type} if content_type else {}
        response = self.client.put_object(Bucket=self.upload_bucket, Key=key, Body=body, **extra)
        return response.get("VersionId")

    def deliver(self, key: str, version_id: str | None = None) -> Delivery:
        """Send the ``ObjectCreated`` event of ``key`` (the given or latest version) to the handler,
        as S3 would after the upload; returns the :class:`Delivery`."""
        kwargs = {"Bucket": self.upload_bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        head = self.client.head_object(**kwargs)
        return self._deliver_version(
            key,
            head.get("VersionId", version_id),
            int(head["ContentLength"]),
            head["ETag"],
            head["LastModified"],
        )

    def delete(self, key: str) -> Delivery:
        """Delete ``key`` from the upload bucket (a delete marker) and send its
        ``ObjectRemoved:DeleteMarkerCreated`` event to the handler; returns the
        :class:`Delivery`."""
        response = self.client.delete_object(Bucket=self.upload_bucket, Key=key)
        return self._deliver_removal(key, response.get("VersionId"), datetime.now(UTC))

    def watch(self, interval_s: float = 0.2) -> WatchDispatcher:
        """A started :class:`WatchDispatcher` for the upload bucket (stop it, or use ``with``)."""
        dispatcher = WatchDispatcher(self, interval_s)
        dispatcher.start()
        return dispatcher

    def pending_versions(self) -> list[dict[str, Any]]:
        """Object versions and delete markers in the upload bucket that no event was delivered
        for, oldest first (a delete marker has ``IsDeleteMarker`` set)."""
        paginator = self.client.get_paginator("list_object_versions")
        versions = [
            {**entry, "IsDeleteMarker": kind == "DeleteMarkers"}
            for page in paginator.paginate(Bucket=self.upload_bucket)
            for kind in ("Versions", "DeleteMarkers")
            for entry in page.get(kind, [])
        ]
        with self._lock:
            fresh = [v for v in versions if (v["Key"], v.get("VersionId")) not in self._delivered]
        # S3 lists each key's versions newest first and LastModified has one-second resolution:
        # reversing before the stable sort keeps a key's versions in upload order.
        return sorted(reversed(fresh), key=lambda v: v["LastModified"])

    def deliver_pending(self) -> list[Delivery]:
        """Deliver an event for each pending object version (one poll of the watch mode)."""
        deliveries = []
        for version in self.pending_versions():
            key, version_id = version["Key"], version.get("VersionId")
            if version["IsDeleteMarker"] and self._claim(key, version_id):
                deliveries.append(self._deliver_removal(key, version_id, version["LastModified"]))
            elif self._claim(key, version_id):
                deliveries.append(
                    self._deliver_version(
                        key,
                        version_id,
                        int(version["Size"]),
                        version["ETag"],
                        version["LastModified"],
                    )
                )
        return deliveries

    def _claim(self, key: str, version_id: str | None) -> bool:
        """Mark a version as delivered; False if it already was (by another caller or thread)."""
        with self._lock:
            if (key, version_id) in self._delivered:
                return False
            self._delivered.add((key, version_id))
            return True

    def _deliver_version(
        self, key: str, version_id: str | None, size: int, etag: str, modified: datetime
    ) -> Delivery:
        with self._lock:
            if self._handler is None:
                raise RuntimeError("LocalPipeline is not open: use it as a context manager")
            self._delivered.add((key, version_id))
        event = object_created_event(
            bucket=self.upload_bucket,
            key=key,
            size=size,
            etag=etag,
            version_id=version_id,
            sequencer=self._sequencer.next(),
            event_time=modified,
            region=self.s3.region,
            event_name=event_name_for(etag),
            request_id=uuid.uuid4().hex[:16].upper(),
        )
        return self._deliver_event(key, version_id, event)

    def _deliver_removal(self, key: str, version_id: str | None, when: datetime) -> Delivery:
        with self._lock:
            if self._handler is None:
                raise RuntimeError("LocalPipeline is not open: use it as a context manager")
            self._delivered.add((key, version_id))
        event = object_removed_event(
            bucket=self.upload_bucket,
            key=key,
            version_id=version_id,
            sequencer=self._sequencer.next(),
            event_time=when,
            region=self.s3.region,
            request_id=uuid.uuid4().hex[:16].upper(),
        )
        return self._deliver_event(key, version_id, event)

    def _deliver_event(self, key: str, version_id: str | None, event: dict[str, Any]) -> Delivery:
        delivery = Delivery(key=key, version_id=version_id, event=event)
        self._invoke_with_retries(delivery)  # outside the lock: workers may deliver concurrently
        with self._lock:
            self.deliveries.append(delivery)
            if not delivery.succeeded:
                self.failures.append(delivery)
        return delivery

    def _invoke_with_retries(self, delivery: Delivery) -> None:
        started = time.perf_counter()
        for attempt in range(1, self.retries + 2):
            delivery.attempts = attempt
            context = LocalLambdaContext(
                self.config.function_name,
                self.config.memory_mb,
                self.config.timeout_s,
                self.s3.region,
            )
            try:
                delivery.result = HandlerResult.from_json(self._handler(delivery.event, context))
                delivery.error = None
                break
            except Exception as exc:
                delivery.error = f"{type(exc).__name__}: {exc}"
                logger.warning(
                    "handler raised on attempt %d for %s: %s", attempt, delivery.key, delivery.error
                )
                if attempt <= self.retries:
                    time.sleep(self.retry_delay_s * attempt)
        delivery.duration_ms = round((time.perf_counter() - started) * 1000, 1)


class WatchDispatcher:
    """Background thread polling the upload bucket (``ListObjectVersions``) and delivering an
    ``ObjectCreated`` event for every object version, and an ``ObjectRemoved`` event for every
    delete marker, not delivered yet, like S3's notification.

    Started by :meth:`LocalPipeline.watch`; stopping it (or leaving its ``with`` block) waits for
    the event in flight.
    """

    def __init__(self, pipeline: LocalPipeline, interval_s: float = 0.2) -> None:
        self.pipeline = pipeline
        self.interval_s = interval_s
        self.polls = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="s3-event-dispatcher", daemon=True)

    def start(self) -> None:
        """Start polling in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait for the thread (idempotent)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.pipeline.deliver_pending()
            except Exception as exc:  # the endpoint going away must not kill the thread silently
                self.errors.append(f"{type(exc).__name__}: {exc}")
                logger.exception("watch poll failed")
            self.polls += 1
            self._stop.wait(self.interval_s)
