"""A small burst through the real local pipeline with 10% of S3 requests faulted: every fault is
recovered and the reconciliation is exact."""

from __future__ import annotations

from loadtest.__main__ import format_report, main
from loadtest.burst import run_burst


def test_small_burst_with_faults_loses_nothing(capsys):
    report = run_burst(uploads=40, workers=4, fault_rate=0.1, seed=7)

    assert sum(report.faults.values()) > 0
    assert set(report.faults) <= {"500", "503", "reset"}
    assert report.function_retries + report.redeliveries > 0
    outcome = report.reconciliation
    assert outcome.uploads == 40 and outcome.expected_outputs == 240 == outcome.found_outputs
    assert report.exact and outcome.exact
    assert not report.failed_deliveries and not report.rejected
    text = format_report(report)
    assert "EXACT" in text and "uploads/s" in text


def test_cli_exits_zero_and_prints_the_reconciliation(capsys):
    assert main(["--uploads", "6", "--workers", "2", "--fault-rate", "0.2", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "6 uploads, 36 of 36 outputs" in out and "EXACT" in out
