"""The project's real handler, ``function.lambda_function``, run on an S3 event against moto.

moto's in-process ``mock_aws`` stands in for S3: the upload is stored once, then every call of
:meth:`ProjectHandler.process` hands the handler the same ObjectCreated event. The S3 calls the
handler makes are therefore part of its timing; :meth:`ProjectHandler.s3_overhead_ms` times the same
get and puts alone so the report can say how much of it that is.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import time
from datetime import UTC, datetime

import boto3
from moto import mock_aws

from bench.outputs import Output
from function.manifest import manifest_key
from function.result import HandlerResult
from function.s3_event import Sequencer, object_created_event
from function.settings import DEFAULT_MEMORY_MB

UPLOAD_BUCKET = "bench-uploads"
PROCESSED_BUCKET = "bench-processed"
REGION = "us-east-1"


class ProjectHandler:
    """The handler wired to a moto S3 holding one upload."""

    def __init__(self, data: bytes, key: str, memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "PROCESSED_BUCKET": PROCESSED_BUCKET,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        }.items():
            os.environ.setdefault(name, value)
        self._mock = mock_aws()
        self._mock.start()
        self._s3 = boto3.client("s3", region_name=REGION)
        for bucket in (UPLOAD_BUCKET, PROCESSED_BUCKET):
            self._s3.create_bucket(Bucket=bucket)
        self._s3.put_object(Bucket=UPLOAD_BUCKET, Key=key, Body=data)
        self._key = key
        self._event = object_created_event(
            bucket=UPLOAD_BUCKET,
            key=key,
            size=len(data),
            etag=hashlib.md5(data).hexdigest(),
            version_id=None,
            sequencer=Sequencer().next(),
            event_time=datetime.now(UTC),
            region=REGION,
        )
        self._module = importlib.import_module("function.lambda_function")
        self._last: list[Output] = []

    def process(self) -> list[Output]:
        """Run the handler once on the upload, doing the whole job every time; its outputs as
        reported in its return value.

        The handler answers a repeated event for an upload whose manifest already names its
        version without rendering anything, so the manifest is removed after each run (one moto
        delete, inside the measurement) and every repeat renders and writes all the variants.
        """
        result = HandlerResult.from_json(self._module.lambda_handler(self._event, None))
        self._s3.delete_object(Bucket=PROCESSED_BUCKET, Key=manifest_key(self._key))
        if result.rejected:
            raise RuntimeError(f"handler rejected the upload: {result.rejected}")
        (processed,) = result.processed
        self._last = [
            Output(o.key, o.format, o.width, o.height, o.bytes) for o in processed.outputs
        ]
        return self._last

    def s3_overhead_ms(self) -> float:
        """CPU ms of one get of the upload and one put per output of the last run, against moto
        (in this process, so CPU time counts it whatever else the machine runs)."""
        bodies = [
            self._s3.get_object(Bucket=PROCESSED_BUCKET, Key=o.name)["Body"].read()
            for o in self._last
        ]
        start = time.process_time()
        self._s3.get_object(Bucket=UPLOAD_BUCKET, Key=self._key)["Body"].read()
        for output, body in zip(self._last, bodies, strict=True):
            self._s3.put_object(Bucket=PROCESSED_BUCKET, Key=output.name, Body=body)
        return (time.process_time() - start) * 1000

    def close(self) -> None:
        """Stop the S3 mock."""
        self._mock.stop()
