"""``python -m loadtest``: a burst of uploads through the local pipeline with injected S3 faults;
prints throughput, retries and the reconciliation, and exits 1 unless it is exact."""

from __future__ import annotations

import argparse
import logging
import sys

from loadtest.burst import BurstReport, run_burst


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__)
    parser.add_argument("--uploads", type=int, default=2000, help="uploads in the burst (2000)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent workers (8)")
    parser.add_argument(
        "--fault-rate", type=float, default=0.05, help="share of S3 requests that fail (0.05)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault injection (0)")
    parser.add_argument("--verbose", action="store_true", help="log every upload and retry")
    args = parser.parse_args(argv)
    if args.uploads < 1 or args.workers < 1 or not 0 <= args.fault_rate < 1:
        parser.error("--uploads and --workers must be positive, --fault-rate from 0 to below 1")
    return args


def format_report(report: BurstReport) -> str:
    """The figures a person reads, one per line."""
    outcome = report.reconciliation
    faults = ", ".join(f"{kind}: {count}" for kind, count in sorted(report.faults.items()))
    lines = [
        f"uploads              {report.uploads} with {report.workers} workers, "
        f"{report.fault_rate:.0%} of S3 requests faulted",
        f"upload phase         {report.upload_seconds:.1f} s "
        f"({report.uploads / report.upload_seconds:.0f} uploads/s)",
        f"processing phase     {report.process_seconds:.1f} s "
        f"({report.uploads_per_second:.1f} uploads/s)",
        f"S3 requests          {report.requests}, faults injected {sum(report.faults.values())}"
        f" ({faults or 'none'})",
        f"function retries     {report.function_retries} SDK retries over "
        f"{report.function_calls} calls, {report.redeliveries} event redeliveries",
        f"harness retries      {report.harness_retries} (uploads, notifications, listing)",
        f"reconciliation       {outcome.uploads} uploads, {outcome.found_outputs} of "
        f"{outcome.expected_outputs} outputs; incomplete {len(outcome.incomplete)}, missing "
        f"{len(outcome.missing)}, extra {len(outcome.extra)}, empty {len(outcome.empty)}, "
        f"rejected {report.rejected}, given up {report.failed_deliveries}",
        "result               "
        + ("EXACT: nothing lost, nothing extra" if report.exact else "LOSS"),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the burst and print its report; 0 when the reconciliation is exact."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if not args.verbose:
        for name in ("image_pipeline", "local.local_pipeline"):
            logging.getLogger(name).disabled = True
    report = run_burst(args.uploads, args.workers, args.fault_rate, args.seed)
    sys.stdout.write(format_report(report) + "\n")
    return 0 if report.exact else 1


if __name__ == "__main__":
    sys.exit(main())
