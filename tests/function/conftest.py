"""Fixtures for the function tests: moto S3 with an upload and a processed bucket, and the real
handler module loaded the way Lambda loads it (``function/`` on ``sys.path``) under that mock."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from function_helpers import FUNCTION_DIR, PROCESSED, UPLOADS
from moto import mock_aws

if str(FUNCTION_DIR) not in sys.path:
    sys.path.insert(0, str(FUNCTION_DIR))

FUNCTION_ENV = (
    "PROCESSED_BUCKET",
    "VARIANTS",
    "MAX_INPUT_BYTES",
    "MAX_PIXELS",
    "KEEP_EXIF",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_LEVEL",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto S3 client with the two buckets; the function's environment cleared."""
    for name in FUNCTION_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    # A fresh default session per test: hooks a test registers on it end with the test.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=UPLOADS)
        client.create_bucket(Bucket=PROCESSED)
        yield client


@pytest.fixture
def load_handler(s3: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., ModuleType]:
    """Import ``lambda_function`` afresh (a cold start) with the given environment variables."""

    def load(**env: str) -> ModuleType:
        for name, value in {"PROCESSED_BUCKET": PROCESSED, **env}.items():
            monkeypatch.setenv(name, value)
        sys.modules.pop("lambda_function", None)
        return importlib.import_module("lambda_function")

    return load


@pytest.fixture
def handler(load_handler: Callable[..., ModuleType]) -> ModuleType:
    """The handler module with the default configuration."""
    return load_handler()
