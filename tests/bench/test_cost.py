"""bench.cost: the cost per million images, worked by hand."""

from __future__ import annotations

import pytest

from bench.cost import (
    LAMBDA_GB_SECOND_USD,
    PRICES_RECORDED,
    billed_ms,
    cost_lines,
    cost_per_million,
    format_costs,
)


def test_billed_duration_follows_the_cpu_share_of_the_memory():
    assert billed_ms(100, 1769) == 100  # one whole vCPU
    assert billed_ms(100, 3538) == 100  # a second vCPU does not help one thread
    assert billed_ms(100, 1024) == 173  # 1769 / 1024 = 1.7275 -> 172.75, rounded up
    assert billed_ms(0.2, 4096) == 1


def test_direct_cost_per_million_by_hand():
    cost = cost_per_million(100, 1024, "x86_64")
    # 1 GB x 0.173 s x $0.0000166667 per GB-s x 1e6 images
    assert cost.compute == pytest.approx(0.173 * 0.0000166667 * 1e6)
    assert cost.requests == pytest.approx(0.20)
    assert cost.s3 == pytest.approx(6 * 5.0 + 11 * 0.4)  # PUTs $5 and GET/HEAD $0.40 a million
    assert cost.sqs == 0
    assert cost.total == pytest.approx(cost.compute + 0.20 + 34.4)


def test_arm64_compute_is_a_fifth_cheaper_and_the_rest_equal():
    x86 = cost_per_million(250, 2048, "x86_64")
    arm = cost_per_million(250, 2048, "arm64")
    assert arm.compute / x86.compute == pytest.approx(0.8, rel=1e-4)
    assert (arm.requests, arm.s3) == (x86.requests, x86.s3)


def test_queue_ingest_pays_sqs_and_fewer_invocations():
    queued = cost_per_million(100, 1024, "arm64", batch_size=10, queue=True)
    assert queued.requests == pytest.approx(0.02)
    assert queued.sqs == pytest.approx((1 + 2 / 10) * 0.40)
    assert queued.compute == cost_per_million(100, 1024, "arm64").compute


def test_table_names_the_date_and_every_line():
    lines = cost_lines(120)
    assert len(lines) == 3 * len(LAMBDA_GB_SECOND_USD) + len(LAMBDA_GB_SECOND_USD)
    text = format_costs(120, lines)
    assert PRICES_RECORDED in text and "120 CPU ms" in text
    assert text.count("arm64") == 4 and text.count("queue") == 2
