"""Shared fixtures: AWS served by moto (S3 with an upload and a processed bucket), and the real
handler module imported afresh, as at a Lambda cold start, under that mock."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.function.function_helpers import PROCESSED, UPLOADS
from tests.network_gate import pytest_collection_modifyitems, pytest_terminal_summary

__all__ = ["pytest_collection_modifyitems", "pytest_terminal_summary"]  # hooks, used by pytest

FUNCTION_ENV = (
    "PROCESSED_BUCKET",
    "VARIANTS",
    "MAX_INPUT_BYTES",
    "MAX_PIXELS",
    "KEEP_EXIF",
    "CACHE_CONTROL",
    "NOTIFICATION_TOPIC_ARN",
    "NAME_COLLISION",
    "DELETE_OUTPUTS",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "TIMEOUT_SECONDS",
    "AWS_LAMBDA_LOG_LEVEL",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
)


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every AWS API served by moto in-process: dummy credentials, ``us-east-1``, no endpoint or
    profile overrides, the function's environment cleared and a fresh boto3 default session."""
    for name in FUNCTION_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    # A fresh default session per test: hooks a test registers on it end with the test.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    with mock_aws():
        yield


@pytest.fixture
def s3(moto_aws: None) -> Iterator[Any]:
    """A moto S3 client with the upload and the processed bucket."""
    client = boto3.client("s3")
    client.create_bucket(Bucket=UPLOADS)
    client.create_bucket(Bucket=PROCESSED)
    yield client


@pytest.fixture
def load_handler(s3: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., ModuleType]:
    """Import ``function.lambda_function`` afresh (a cold start) with the given environment
    variables."""

    def load(**env: str) -> ModuleType:
        for name, value in {"PROCESSED_BUCKET": PROCESSED, **env}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delitem(sys.modules, "function.lambda_function", raising=False)
        return importlib.import_module("function.lambda_function")

    return load


@pytest.fixture
def handler(load_handler: Callable[..., ModuleType]) -> ModuleType:
    """The handler module with the default configuration."""
    return load_handler()
