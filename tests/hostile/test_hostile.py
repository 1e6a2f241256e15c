"""hostile: each class of hostile upload meets its expected outcome through the real handler, and
the worst accepted ones fit the memory size in a fresh process under ``RLIMIT_AS``."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostile.cases import CASES, Case
from hostile.runner import limits_for, run_in_fresh_process
from tests.function.function_helpers import event, processed_keys, upload

REJECTED = [case for case in CASES if case.expect == "rejected"]
ACCEPTED = [case for case in CASES if case.expect == "processed"]
# The cases run at smaller memory sizes than the default so that they are quick: the limits, and
# so the cases' sizes, scale with the memory (at 256 MB: 3.9 MP opaque, 1.9 MP with alpha and a
# 16 MiB input limit, still 1.4 million chunks of padding; at 512 MB: 13.7 MP and 6.6 MP).
REJECTED_MEMORY_MB = 256
ACCEPTED_MEMORY_MB = 512


def names(case: Case) -> str:
    """The case's name as its test id."""
    return case.name


@pytest.mark.parametrize("case", REJECTED, ids=names)
def test_each_hostile_class_is_rejected_naming_its_limit(case, s3, load_handler):
    handler = load_handler(AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(REJECTED_MEMORY_MB))
    data = case.build(limits_for(REJECTED_MEMORY_MB, 60))
    upload(s3, case.key, data)
    del data
    result = handler.lambda_handler(event(case.key), None)
    assert result["processed"] == []
    [rejected] = result["rejected"]
    assert case.reason in rejected["reason"], rejected["reason"]
    assert processed_keys(s3) == []


@pytest.mark.parametrize("case", ACCEPTED, ids=names)
def test_the_worst_accepted_uploads_fit_the_memory_size_under_rlimit_as(case, tmp_path: Path):
    limits = limits_for(ACCEPTED_MEMORY_MB, 60)
    report = run_in_fresh_process(
        case,
        case.build(limits),
        tmp_path,
        memory_mb=ACCEPTED_MEMORY_MB,
        timeout_s=60,
        address_space=True,
    )
    measured = report.measured
    assert measured["outcome"] == "processed", measured["reason"]
    assert measured["outputs"] == 5
    assert report.declared_pixels > 0.97 * (
        limits.max_alpha_pixels if "alpha" in case.name else limits.max_pixels
    )
    assert measured["peak_rss_mb"] < 0.9 * ACCEPTED_MEMORY_MB
