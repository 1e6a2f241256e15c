"""Convergence, as a property over moto S3/SNS/SQS: after any sequence of creates, overwrites and
deletes of upload keys, with their events delivered in any order, duplicated, retried after a
failed put, or racing an upload made while the handler writes, the processed bucket holds exactly
the outputs and manifest of the current version of every key that exists (and is an image), and
nothing else.

Handler invocations run one at a time; an upload or delete may land between any two of an
invocation's ``PutObject`` calls (the race the re-checks before and after the manifest close).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from function.notifications import Notifier
from function.reconcile import output_keys
from function.s3_event import Sequencer, object_created_event, object_removed_event
from function.settings import load_settings
from function.storage import Storage
from tests.function.function_helpers import (
    PROCESSED,
    UPLOADS,
    encode,
    photo,
    received,
    topic_with_queue,
)

KEYS = ("a.jpg", "pics/b.png")
VARIANTS = '[{"suffix":"small","format":"JPEG","max_width":8},{"suffix":"full","format":"PNG"}]'
CONTENTS = (
    encode(photo((16, 12)), "JPEG"),
    encode(photo((12, 16)), "PNG"),
    b"not an image",
)
VALID = frozenset({0, 1})
MAX_TWISTED_DELIVERIES = 24


class InjectedError(Exception):
    """A ``PutObject`` that failed on purpose (transient: the event is delivered again)."""


@dataclass
class World:
    """The moto buckets, the handler's collaborators and the events not yet settled."""

    s3: Any
    storage_client: Any
    handler_settings: Any
    handle_event: Any
    notifier: Notifier
    queue_url: str
    sequencer: Sequencer = field(default_factory=Sequencer)
    pending: list[dict[str, Any]] = field(default_factory=list)
    valid_versions: set[str] = field(default_factory=set)
    hook: Any = None

    def apply(self, op: tuple[str, int, int]) -> dict[str, Any] | None:
        """Perform one operation on the upload bucket and queue the event S3 would send (also
        returned; ``None`` when there was nothing to delete)."""
        kind, key_index, content = op
        key = KEYS[key_index]
        now = datetime.now(UTC)
        if kind == "put":
            response = self.s3.put_object(Bucket=UPLOADS, Key=key, Body=CONTENTS[content])
            version = response["VersionId"]
            if content in VALID:
                self.valid_versions.add(version)
            self.pending.append(
                object_created_event(
                    bucket=UPLOADS,
                    key=key,
                    size=len(CONTENTS[content]),
                    etag=response["ETag"],
                    version_id=version,
                    sequencer=self.sequencer.next(),
                    event_time=now,
                    region="us-east-1",
                )
            )
            return self.pending[-1]
        if kind == "delete":
            version = self.s3.delete_object(Bucket=UPLOADS, Key=key).get("VersionId")
            event_name = "ObjectRemoved:DeleteMarkerCreated"
        else:  # delete the latest version or delete marker for good: an older one resurfaces
            listing = self.s3.list_object_versions(Bucket=UPLOADS, Prefix=key)
            entries = listing.get("Versions", []) + listing.get("DeleteMarkers", [])
            latest = [e for e in entries if e["Key"] == key and e["IsLatest"]]
            if not latest:
                return None
            version = latest[0]["VersionId"]
            self.s3.delete_object(Bucket=UPLOADS, Key=key, VersionId=version)
            event_name = "ObjectRemoved:Delete"
        self.pending.append(
            object_removed_event(
                bucket=UPLOADS,
                key=key,
                version_id=version,
                sequencer=self.sequencer.next(),
                event_time=now,
                region="us-east-1",
                event_name=event_name,
            )
        )
        return self.pending[-1]

    def deliver(self, event: dict[str, Any], before_put: int | None, during: Any) -> None:
        """Invoke the handler with ``event``; before its ``before_put``-th PutObject, either fail
        that put (``during == "fail"``: the event stays pending, as Lambda retries it) or run
        the operation ``during`` and handle its event completely, as a concurrent invocation
        that finishes first would (that event is settled: nothing delivers it again)."""
        puts = {"count": 0}

        def on_put(**_: Any) -> None:
            puts["count"] += 1
            if puts["count"] != before_put:
                return
            if during == "fail":
                raise InjectedError("PutObject failed")
            concurrent = self.apply(during)
            if concurrent is not None:
                self.pending.remove(concurrent)
                self.invoke(concurrent)

        self.storage_client.meta.events.register("before-send.s3.PutObject", on_put)
        try:
            self.invoke(event)
        except InjectedError:
            self.pending.append(event)
        finally:
            self.storage_client.meta.events.unregister("before-send.s3.PutObject", on_put)

    def invoke(self, event: dict[str, Any]) -> None:
        """One handler invocation on ``event``."""
        storage = Storage(self.storage_client)
        self.handle_event(event, self.handler_settings, storage, None, self.notifier)


operations = st.tuples(
    st.sampled_from(("put", "put", "delete", "delete_version")),
    st.integers(0, len(KEYS) - 1),
    st.integers(0, len(CONTENTS) - 1),
)


def build_world(handler_module: Any) -> World:
    s3 = boto3.client("s3")
    for bucket in (UPLOADS, PROCESSED):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    topic_arn, queue_url = topic_with_queue()
    handler_settings = load_settings(
        {"PROCESSED_BUCKET": PROCESSED, "VARIANTS": VARIANTS, "NOTIFICATION_TOPIC_ARN": topic_arn}
    )
    return World(
        s3=s3,
        storage_client=boto3.client("s3"),
        handler_settings=handler_settings,
        handle_event=handler_module.handle_event,
        notifier=Notifier(boto3.client("sns"), topic_arn),
        queue_url=queue_url,
    )


def check_converged(world: World) -> None:
    """Exactly the outputs of each key's current version when it is an image; nothing else."""
    s3 = world.s3
    listing = s3.list_objects_v2(Bucket=PROCESSED).get("Contents", [])
    remaining = {item["Key"] for item in listing}
    processed_versions = {
        m["manifest"]["source"]["version_id"]
        for m in received(world.queue_url)
        if m["event"] == "processed"
    }
    for key in KEYS:
        expected = output_keys(world.handler_settings, key)
        try:
            current = s3.head_object(Bucket=UPLOADS, Key=key)["VersionId"]
        except s3.exceptions.ClientError:
            current = None
        if current is None or current not in world.valid_versions:
            assert not remaining & set(expected), (key, current, sorted(remaining))
            continue
        assert set(expected) <= remaining, (key, current, sorted(remaining))
        remaining -= set(expected)
        manifest = json.loads(s3.get_object(Bucket=PROCESSED, Key=expected[-1])["Body"].read())
        assert manifest["source"]["version_id"] == current
        for variant in manifest["variants"]:
            stored = s3.get_object(Bucket=PROCESSED, Key=variant["key"])
            assert stored["Metadata"]["source-version-id"] == current
            assert hashlib.sha256(stored["Body"].read()).hexdigest() == variant["sha256"]
        assert current in processed_versions  # announced at least once
    assert remaining == set(), sorted(remaining)


@pytest.fixture
def handler_module(monkeypatch):
    """The handler module, imported with dummy credentials (each example has its own moto)."""
    monkeypatch.setenv("PROCESSED_BUCKET", PROCESSED)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.delitem(sys.modules, "function.lambda_function", raising=False)
    return importlib.import_module("function.lambda_function")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, min_size=1, max_size=8), data=st.data())
def test_outputs_converge_on_the_current_version_of_every_key(handler_module, ops, data):
    with mock_aws():
        world = build_world(handler_module)
        queued = list(ops)
        deliveries = 0
        while queued or world.pending:
            choices = (["op"] if queued else []) + (["deliver"] if world.pending else [])
            if data.draw(st.sampled_from(choices), label="step") == "op":
                world.apply(queued.pop(0))
                continue
            index = data.draw(st.integers(0, len(world.pending) - 1), label="event")
            event = world.pending.pop(index)
            deliveries += 1
            calm = deliveries > MAX_TWISTED_DELIVERIES  # then every event settles
            if not calm and data.draw(st.booleans(), label="duplicate later"):
                world.pending.append(event)
            twist = data.draw(st.sampled_from(("plain", "fail", "race")), label="twist")
            if calm or (twist == "race" and not queued):
                twist = "plain"
            before_put = data.draw(st.integers(1, 3), label="before put")
            if twist == "plain":
                world.deliver(event, None, None)
            elif twist == "fail":
                world.deliver(event, before_put, "fail")
            else:
                world.deliver(event, before_put, queued.pop(0))
        check_converged(world)
