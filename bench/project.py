"""The project's real handler, ``function/lambda_function.py``, run on an S3 event against moto.

moto's in-process ``mock_aws`` stands in for S3: the upload is stored once, then every call of
:meth:`ProjectHandler.process` hands the handler the same ObjectCreated event. The S3 calls the
handler makes are therefore part of its timing; :meth:`ProjectHandler.s3_overhead_ms` times the same
get and puts alone so the report can say how much of it that is.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from types import ModuleType
from typing import Any

import boto3
from moto import mock_aws

from bench.outputs import FUNCTION_DIR, Output

UPLOAD_BUCKET = "bench-uploads"
PROCESSED_BUCKET = "bench-processed"
REGION = "us-east-1"


def s3_event(bucket: str, key: str, size: int) -> dict[str, Any]:
    """A minimal S3 ``ObjectCreated:Put`` notification for one object."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": key, "size": size},
                },
            }
        ]
    }


def import_handler() -> ModuleType:
    """Import ``lambda_function`` the way Lambda does: ``function/`` on ``sys.path``."""
    if str(FUNCTION_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTION_DIR))
    return importlib.import_module("lambda_function")


class ProjectHandler:
    """The handler wired to a moto S3 holding one upload."""

    def __init__(self, data: bytes, key: str, memory_mb: int = 1024) -> None:
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
        self._event = s3_event(UPLOAD_BUCKET, key, len(data))
        self._module = import_handler()
        self._last: list[Output] = []

    def process(self) -> list[Output]:
        """Run the handler once on the upload; its outputs as reported in its return value."""
        result = self._module.lambda_handler(self._event, None)
        if result.get("rejected"):
            raise RuntimeError(f"handler rejected the upload: {result['rejected']}")
        (processed,) = result["processed"]
        self._last = [
            Output(o["key"], o["format"], o["width"], o["height"], o["bytes"])
            for o in processed["outputs"]
        ]
        return self._last

    def s3_overhead_ms(self) -> float:
        """Time one get of the upload and one put per output of the last run, against moto."""
        bodies = [
            self._s3.get_object(Bucket=PROCESSED_BUCKET, Key=o.name)["Body"].read()
            for o in self._last
        ]
        start = time.perf_counter()
        self._s3.get_object(Bucket=UPLOAD_BUCKET, Key=self._key)["Body"].read()
        for output, body in zip(self._last, bodies, strict=True):
            self._s3.put_object(Bucket=PROCESSED_BUCKET, Key=output.name, Body=body)
        return (time.perf_counter() - start) * 1000

    def close(self) -> None:
        """Stop the S3 mock."""
        self._mock.stop()
