"""A burst of uploads through the local pipeline, with transient S3 faults, reconciled at the end.

Workers upload N small images to the embedded S3 endpoint, then deliver each upload's
``ObjectCreated`` event to the real handler concurrently (:meth:`LocalPipeline.deliver`, whose
redelivery stands in for Lambda's retries). A :class:`~loadtest.faults.FaultInjector` in front of
the endpoint answers a share of every S3 request with a 500, a 503 or a dropped connection; the
function's boto3 retries (standard mode) and the redelivery have to absorb them. Faults are off
for the final listing of both buckets.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from loadtest.faults import FaultInjector
from loadtest.reconcile import Reconciliation, reconcile
from loadtest.small_images import small_image
from local.local_pipeline import LocalPipeline
from local.local_s3 import LocalS3

# The load test's own clients (uploads, the notification's HEAD, the final listing) stand for S3
# itself and must not give up; the function keeps the retries it is deployed with.
HARNESS_ATTEMPTS = 12


class RequestCounter:
    """Counts a boto3 client's API calls and HTTP attempts; the difference is its retries."""

    def __init__(self) -> None:
        self.calls = 0
        self.attempts = 0
        self._lock = threading.Lock()

    def attach(self, client: Any) -> None:
        """Count ``client``'s S3 calls (``before-call``) and attempts (``before-send``)."""
        client.meta.events.register("before-call.s3", self._call)
        client.meta.events.register("before-send.s3", self._attempt)

    @property
    def retries(self) -> int:
        """HTTP attempts beyond the first of each call."""
        return self.attempts - self.calls

    def _call(self, **_: Any) -> None:
        with self._lock:
            self.calls += 1

    def _attempt(self, **_: Any) -> None:
        with self._lock:
            self.attempts += 1


@dataclass(frozen=True)
class BurstReport:
    """What a burst did and how long it took."""

    uploads: int
    workers: int
    fault_rate: float
    upload_seconds: float
    process_seconds: float
    requests: int
    faults: dict[str, int]
    function_calls: int
    function_retries: int
    harness_retries: int
    redeliveries: int
    failed_deliveries: int
    rejected: int
    reconciliation: Reconciliation

    @property
    def uploads_per_second(self) -> float:
        """Uploads processed per second of the processing phase."""
        return self.uploads / self.process_seconds if self.process_seconds else 0.0

    @property
    def exact(self) -> bool:
        """Nothing lost, nothing extra, nothing rejected, no event given up on."""
        return self.reconciliation.exact and not self.failed_deliveries and not self.rejected


def run_burst(uploads: int, workers: int, fault_rate: float, seed: int = 0) -> BurstReport:
    """Upload ``uploads`` images and process them with ``workers`` threads while a share
    ``fault_rate`` of S3 requests fail; returns the figures and the reconciliation."""
    with LocalS3() as s3, LocalPipeline(s3, retry_delay_s=0.05) as pipeline:
        injector: FaultInjector | None = None

        def install(app: Any) -> FaultInjector:
            nonlocal injector
            injector = FaultInjector(app, fault_rate, seed)
            return injector

        s3.wrap_application(install)
        assert injector is not None
        pipeline.client = s3.client(max_attempts=HARNESS_ATTEMPTS)
        harness = RequestCounter()
        harness.attach(pipeline.client)
        function = RequestCounter()
        module = pipeline.function_module
        assert module is not None
        function.attach(module.STORAGE.client)

        def upload(index: int) -> tuple[str, str | None]:
            key, body, content_type = small_image(index)
            return key, pipeline.upload(key, body, content_type)

        with ThreadPoolExecutor(workers, thread_name_prefix="upload") as pool:
            started = time.perf_counter()
            uploaded = list(pool.map(upload, range(uploads)))
            upload_seconds = time.perf_counter() - started
        with ThreadPoolExecutor(workers, thread_name_prefix="deliver") as pool:
            started = time.perf_counter()
            deliveries = list(pool.map(lambda item: pipeline.deliver(*item), uploaded))
            process_seconds = time.perf_counter() - started

        injector.enabled = False
        outputs = _listing(pipeline.client, pipeline.processed_bucket)
        upload_keys = _listing(pipeline.client, pipeline.upload_bucket)
        return BurstReport(
            uploads=uploads,
            workers=workers,
            fault_rate=fault_rate,
            upload_seconds=upload_seconds,
            process_seconds=process_seconds,
            requests=injector.requests,
            faults=dict(injector.faults),
            function_calls=function.calls,
            function_retries=function.retries,
            harness_retries=harness.retries,
            redeliveries=sum(d.attempts - 1 for d in deliveries),
            failed_deliveries=sum(not d.succeeded for d in deliveries),
            rejected=sum(len(d.result.rejected) for d in deliveries if d.result),
            reconciliation=reconcile(upload_keys, outputs, module.SETTINGS.variants),
        )


def _listing(client: Any, bucket: str) -> dict[str, int]:
    """Every current key of ``bucket`` with its size."""
    paginator = client.get_paginator("list_objects_v2")
    return {
        item["Key"]: int(item["Size"])
        for page in paginator.paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    }
