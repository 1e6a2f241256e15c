"""What a million images cost on AWS, from the handler's measured CPU time. Pure arithmetic.

Prices are us-east-1 on-demand list prices, as published on the named AWS pages when recorded
(:data:`PRICES_RECORDED`); the first Lambda duration tier (up to 6 billion GB-s a month) and no
free tier. Lambda gives a function CPU in proportion to its memory (one vCPU per 1769 MB), so a
single-threaded handler needing ``cpu_ms`` of a whole core runs ``cpu_ms * 1769 / memory`` below
that size and ``cpu_ms`` above it; time spent waiting on S3 is not in the measurement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.table import format_table
from function.settings import MB_PER_VCPU

PRICES_RECORDED = "2026-12-01"
# "AWS Lambda Pricing", us-east-1, duration per GB-second (first tier) and requests.
LAMBDA_GB_SECOND_USD = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
LAMBDA_REQUEST_USD = 0.20 / 1_000_000
# "Amazon S3 Pricing", us-east-1, S3 Standard requests: PUT (per 1,000) and GET/HEAD (per 1,000).
S3_PUT_USD = 0.005 / 1000
S3_GET_USD = 0.0004 / 1000
# "Amazon SQS Pricing", us-east-1, standard queue requests (per million, past the free tier).
SQS_REQUEST_USD = 0.40 / 1_000_000
MILLION = 1_000_000
MEMORY_SIZES_MB = (1024, 1769, 3008)
# Per image, as the output contract measures a first upload with the default variants
# (docs/output-contract.md): 9 HEADs and 2 GETs (the upload's current version, the manifest,
# one collision check per output key and the re-checks around the manifest write), one PUT per
# variant and one for the manifest.
S3_READS_PER_IMAGE = 11
S3_PUTS_PER_IMAGE = 6


@dataclass(frozen=True)
class ImageCost:
    """The cost of a million images at one memory size and architecture, in US dollars."""

    memory_mb: int
    architecture: str
    billed_ms: int
    compute: float
    requests: float
    s3: float
    sqs: float

    @property
    def total(self) -> float:
        """Everything per million images."""
        return self.compute + self.requests + self.s3 + self.sqs


def billed_ms(cpu_ms: float, memory_mb: int) -> int:
    """Billed duration of one single-threaded invocation needing ``cpu_ms`` of a whole core, at
    ``memory_mb`` (its share of a vCPU), rounded up to Lambda's 1 ms granularity."""
    return math.ceil(cpu_ms * max(1.0, MB_PER_VCPU / memory_mb))


def cost_per_million(
    cpu_ms: float,
    memory_mb: int,
    architecture: str,
    *,
    batch_size: int = 1,
    queue: bool = False,
    puts: int = S3_PUTS_PER_IMAGE,
) -> ImageCost:
    """The cost of a million images of ``cpu_ms`` each; with ``queue`` one Lambda request per
    ``batch_size`` images plus SQS (S3's send, then a receive and a delete per batch)."""
    per_invocation = 1 / batch_size if queue else 1.0
    gb_seconds = memory_mb / 1024 * billed_ms(cpu_ms, memory_mb) / 1000
    sqs = (1 + 2 / batch_size) * SQS_REQUEST_USD if queue else 0.0
    return ImageCost(
        memory_mb=memory_mb,
        architecture=architecture,
        billed_ms=billed_ms(cpu_ms, memory_mb),
        compute=MILLION * gb_seconds * LAMBDA_GB_SECOND_USD[architecture],
        requests=MILLION * per_invocation * LAMBDA_REQUEST_USD,
        s3=MILLION * (puts * S3_PUT_USD + S3_READS_PER_IMAGE * S3_GET_USD),
        sqs=MILLION * sqs,
    )


def cost_lines(
    cpu_ms: float, memory_sizes: tuple[int, ...] = MEMORY_SIZES_MB, queue_batch: int = 10
) -> list[ImageCost]:
    """Direct ingest at every memory size on both architectures, then queue ingest in batches of
    ``queue_batch`` at the first size."""
    direct = [
        cost_per_million(cpu_ms, memory, architecture)
        for memory in memory_sizes
        for architecture in LAMBDA_GB_SECOND_USD
    ]
    queued = [
        cost_per_million(cpu_ms, memory_sizes[0], architecture, batch_size=queue_batch, queue=True)
        for architecture in LAMBDA_GB_SECOND_USD
    ]
    return direct + queued


def format_costs(cpu_ms: float, lines: list[ImageCost]) -> str:
    """The table ``make bench`` prints."""
    headers = ["ingest", "MB", "arch", "billed ms", "compute $", "requests $", "S3 $", "SQS $"]
    rows = [
        [
            "queue" if c.sqs else "direct",
            c.memory_mb,
            c.architecture,
            c.billed_ms,
            c.compute,
            c.requests,
            c.s3,
            c.sqs,
            c.total,
        ]
        for c in lines
    ]
    title = (
        f"Cost per million images from {cpu_ms:.0f} CPU ms each (us-east-1 prices recorded "
        f"{PRICES_RECORDED}; S3 waits not included)"
    )
    return title + "\n" + format_table([*headers, "total $"], rows, digits=2)
