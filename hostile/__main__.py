"""``python -m hostile [--memory 1024] [--timeout 60] [--case NAME]``: build each hostile case, run
the real handler on it in a fresh process and print peak RSS, CPU and outcome per case."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from hostile.cases import CASES, CASES_BY_NAME
from hostile.runner import format_table, limits_for, run_in_fresh_process


def main() -> None:
    """CLI entry point: exits non-zero when a case's outcome is not the expected one."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--memory", type=int, default=1024, help="memory size in MB")
    parser.add_argument("--timeout", type=int, default=60, help="function timeout in seconds")
    parser.add_argument("--case", action="append", choices=sorted(CASES_BY_NAME))
    parser.add_argument(
        "--address-space", action="store_true", help="run the handler under RLIMIT_AS"
    )
    args = parser.parse_args()
    cases = [CASES_BY_NAME[name] for name in args.case] if args.case else list(CASES)
    limits = limits_for(args.memory, args.timeout)
    reports = []
    with tempfile.TemporaryDirectory(prefix="hostile-") as workdir:
        for case in cases:
            data = case.build(limits)
            reports.append(
                run_in_fresh_process(
                    case,
                    data,
                    Path(workdir),
                    memory_mb=args.memory,
                    timeout_s=args.timeout,
                    address_space=args.address_space,
                )
            )
            print(format_table(reports[-1:], args.memory).splitlines()[2], flush=True)
    print()
    print(format_table(reports, args.memory))
    sys.exit(0 if all(report.as_expected for report in reports) else 1)


if __name__ == "__main__":
    main()
