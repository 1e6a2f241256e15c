"""One hostile case in a fresh process: ``python -m hostile.worker FILE KEY --memory MB``.

Stores the file in moto's S3, loads the real handler with the function's environment for that
memory size and runs it on the upload's ObjectCreated event, then prints one JSON line: the
outcome, the rejection reason, peak RSS (``VmHWM``; ``getrusage`` would report the parent's
resident size at the fork when larger, as Linux carries it across ``exec``), CPU seconds of the
handler call, and the process' resident and virtual size before it. With ``--address-space``
the handler runs under ``RLIMIT_AS`` equal to the memory size: every mapping the process holds,
resident or not, Python and its libraries included, must fit in it (stricter than Lambda, which
counts resident memory).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

UPLOAD_BUCKET = "hostile-uploads"
PROCESSED_BUCKET = "hostile-processed"
REGION = "us-east-1"
MIB = 1024 * 1024


def proc_status_kb(field: str) -> int:
    """A ``/proc/self/status`` size field (``VmRSS``, ``VmSize``...) in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure_upload(
    path: Path, key: str, memory_mb: int, timeout_s: int, address_space: bool
) -> dict[str, Any]:
    """Run the handler on ``path`` uploaded as ``key``; the measurements as a dict."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "PROCESSED_BUCKET": PROCESSED_BUCKET,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "TIMEOUT_SECONDS": str(timeout_s),
            # moto keeps objects over this on disk, as S3 keeps them out of the function's memory
            "MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(MIB),
        }
    )
    import boto3  # noqa: PLC0415 (after the environment is set)
    from moto import mock_aws  # noqa: PLC0415

    from function.s3_event import Sequencer, object_created_event  # noqa: PLC0415

    data = path.read_bytes()
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (UPLOAD_BUCKET, PROCESSED_BUCKET):
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=UPLOAD_BUCKET, Key=key, Body=data)
        event = object_created_event(
            bucket=UPLOAD_BUCKET,
            key=key,
            size=len(data),
            etag=hashlib.md5(data).hexdigest(),  # S3's ETag, not security
            version_id=None,
            sequencer=Sequencer().next(),
            event_time=datetime.now(UTC),
            region=REGION,
        )
        del data
        from function import lambda_function  # noqa: PLC0415 (a cold start under moto)

        baseline_rss = proc_status_kb("VmRSS")
        baseline_vm = proc_status_kb("VmSize")
        if address_space:
            limit = memory_mb * MIB
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        cpu = time.process_time()
        try:
            result = lambda_function.lambda_handler(event, None)
        except MemoryError:
            result = {"processed": [], "rejected": [{"reason": "MemoryError (RLIMIT_AS)"}]}
        cpu = time.process_time() - cpu
    peak = proc_status_kb("VmHWM")
    rejected = result["rejected"]
    return {
        "outcome": "rejected" if rejected else "processed",
        "reason": rejected[0]["reason"] if rejected else "",
        "outputs": sum(len(entry["outputs"]) for entry in result["processed"]),
        "peak_rss_mb": round(peak / 1024, 1),
        "cpu_s": round(cpu, 2),
        "baseline_rss_mb": round(baseline_rss / 1024, 1),
        "baseline_vm_mb": round(baseline_vm / 1024, 1),
    }


def main() -> None:
    """CLI entry point of the worker process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("key")
    parser.add_argument("--memory", type=int, required=True)
    parser.add_argument("--timeout", type=int, required=True)
    parser.add_argument("--address-space", action="store_true")
    args = parser.parse_args()
    report = measure_upload(args.path, args.key, args.memory, args.timeout, args.address_space)
    print(json.dumps(report))  # the parent reads this line


if __name__ == "__main__":
    main()
