"""An embedded S3 endpoint on loopback (moto's server mode) with buckets configured like the stack.

``LocalS3`` runs :class:`moto.server.ThreadedMotoServer` in a background thread of this process,
bound to ``127.0.0.1`` on a free port (or the one asked for), and stops it on exit. Clients reach it
over real HTTP with dummy credentials: it is the same S3 API the deployed stack uses.
"""

from __future__ import annotations

import http.client
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

logger = logging.getLogger(__name__)

WsgiApp = Callable[..., Any]
LOOPBACK = "127.0.0.1"
DEFAULT_REGION = "us-east-1"
DUMMY_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


class PortUnavailableError(RuntimeError):
    """The embedded S3 endpoint could not listen on the requested address."""


class _ReportingMotoServer(ThreadedMotoServer):
    """ThreadedMotoServer that reports a failed start instead of leaving ``start()`` waiting.

    werkzeug turns a bind error into ``SystemExit`` inside the server thread, which would otherwise
    leave the ready event unset forever.
    """

    start_error: BaseException | None = None

    def _server_entry(self) -> None:
        try:
            super()._server_entry()
        except (OSError, SystemExit) as exc:
            self.start_error = exc
            self._server_ready_event.set()


def _check_bindable(port: int) -> None:
    """Raise :class:`PortUnavailableError` if ``127.0.0.1:port`` cannot be listened on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError as exc:
            raise PortUnavailableError(_port_message(port, exc.strerror or str(exc))) from exc


def _port_message(port: int, reason: str) -> str:
    return (
        f"cannot listen on {LOOPBACK}:{port} for the embedded S3 endpoint: {reason}. "
        "Choose another port (0 picks a free one)."
    )


@dataclass(frozen=True)
class BucketNames:
    """The two buckets of the pipeline."""

    upload: str = "image-pipeline-uploads-local"
    processed: str = "image-pipeline-processed-local"


class LocalS3:
    """Embedded moto S3 server on loopback, used as a context manager.

    Moto keeps one state per process: the endpoint starts empty and is emptied when stopped, and
    only one should run at a time in a process. ``port=0`` (the default) lets the operating system
    pick a free port; a busy or forbidden port raises :class:`PortUnavailableError` with a message
    meant for a person.
    """

    def __init__(self, port: int = 0, region: str = DEFAULT_REGION) -> None:
        self.requested_port = port
        self.region = region
        self._server: _ReportingMotoServer | None = None
        self.port: int | None = None

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running server."""
        if self.port is None:
            raise RuntimeError("LocalS3 is not running")
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        if self.requested_port:
            _check_bindable(self.requested_port)
        server = _ReportingMotoServer(LOOPBACK, self.requested_port, verbose=False)
        server.start()
        if server.start_error is not None:
            raise PortUnavailableError(_port_message(self.requested_port, str(server.start_error)))
        self._server = server
        self.port = server.get_host_and_port()[1]
        self.reset()
        logger.info("embedded S3 endpoint listening on %s", self.endpoint_url)

    def reset(self) -> None:
        """Forget every bucket and object (moto's ``/moto-api/reset``). Moto keeps its state per
        process, so this is what makes each started endpoint begin empty."""
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=10)
        try:
            connection.request("POST", "/moto-api/reset")
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(f"resetting the embedded S3 endpoint failed: HTTP {response.status}")

    def stop(self) -> None:
        """Empty and stop the server (idempotent)."""
        if self._server is not None:
            self.reset()
            self._server.stop()
            logger.info("embedded S3 endpoint on port %s stopped", self.port)
        self._server = None
        self.port = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def client(self, service: str = "s3", max_attempts: int = 2, **config: Any) -> Any:
        """A boto3 client of ``service`` (S3 by default; the endpoint serves SNS and SQS too) for
        this endpoint, with dummy credentials (standard retries)."""
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            config=Config(retries={"max_attempts": max_attempts, "mode": "standard"}, **config),
            **DUMMY_CREDENTIALS,
        )

    def wrap_application(self, middleware: Callable[[WsgiApp], WsgiApp]) -> None:
        """Put WSGI ``middleware`` in front of the running endpoint (the load test answers a
        share of requests with faults there)."""
        if self._server is None or self._server._server is None:
            raise RuntimeError("LocalS3 is not running")
        self._server._server.app = middleware(self._server._server.app)


def create_stack_buckets(s3: Any, names: BucketNames, region: str = DEFAULT_REGION) -> None:
    """Create both buckets hardened like the stack's: versioning, SSE-S3 (AES256), a full public
    access block and BucketOwnerEnforced object ownership."""
    for bucket in (names.upload, names.processed):
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
            )
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_ownership_controls(
            Bucket=bucket,
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        )
        logger.info("created bucket %s (versioned, AES256, public access blocked)", bucket)
