"""``python -m local.local_stack`` serves the local pipeline to other processes: a plain boto3
client and the real smoke test (a separate process) get their variants over HTTP."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
from botocore.exceptions import ClientError
from PIL import Image

from function.variant_spec import DEFAULT_VARIANTS, parse_variants
from tests.repo import REPO_ROOT


def read_until(process: subprocess.Popen[str], marker: str, timeout_s: float = 60) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} not printed; got {lines}")


def test_local_stack_serves_uploads_from_other_processes(tmp_path: Path) -> None:
    outputs_file = tmp_path / "stack.json"
    server = subprocess.Popen(
        [sys.executable, "-m", "local.local_stack", "--outputs", str(outputs_file)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = read_until(server, "Watching the upload bucket")
        env = dict(line.split("=", 1) for line in lines if line.startswith("AWS_"))
        outputs = json.loads(outputs_file.read_text())
        assert parse_variants(outputs["variants"]) == DEFAULT_VARIANTS
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        buffer = io.BytesIO()
        Image.new("RGB", (320, 240), (10, 120, 40)).save(buffer, "JPEG")
        client.put_object(
            Bucket=outputs["upload_bucket_name"], Key="cat.jpg", Body=buffer.getvalue()
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                body = client.get_object(
                    Bucket=outputs["processed_bucket_name"], Key="cat_thumbnail.jpg"
                )["Body"].read()
                break
            except ClientError:
                assert time.monotonic() < deadline, "no thumbnail within 30 s"
                time.sleep(0.1)
        with Image.open(io.BytesIO(body)) as thumbnail:
            assert (thumbnail.format, thumbnail.size) == ("JPEG", (150, 112))

        smoke = subprocess.run(
            [sys.executable, "-m", "ops.smoke_test", "--outputs", str(outputs_file)],
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert smoke.returncode == 0, smoke.stdout + smoke.stderr
        # Quiet on success: one line, and the variants from the outputs file (no Lambda API).
        assert smoke.stdout.startswith("smoke test passed: 5 variant(s)")
        assert len(smoke.stdout.splitlines()) == 1
        assert smoke.stderr == ""
    finally:
        server.send_signal(signal.SIGINT)
        stdout, stderr = server.communicate(timeout=60)
    assert server.returncode == 0, stderr
    # cat.jpg, the smoke probe, and the probe's delete (its ObjectRemoved event)
    assert "Stopping: 3 event(s) delivered, 0 failed." in stdout
    assert "Traceback" not in stderr


def test_local_stack_reports_a_busy_port_without_a_traceback() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "local.local_stack", "--port", str(port)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
