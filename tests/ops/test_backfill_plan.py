"""Pure logic of the backfill: expected outputs, staleness, pacing, the state file, the event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from function.variant_spec import DEFAULT_VARIANTS, parse_variants
from ops.backfill_plan import (
    BackfillState,
    RateLimiter,
    SourceObject,
    expected_output_keys,
    is_processed,
    listing_prefix_for_outputs,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def source(key: str = "dir/photo.jpg", version: str | None = "v1", when=T0) -> SourceObject:
    return SourceObject(key=key, version_id=version, size=10, etag="abc", last_modified=when)


def test_expected_output_keys_follow_the_variant_spec():
    variants = parse_variants([{"suffix": "small", "format": "webp", "max_width": 100}])
    assert expected_output_keys("a/b/cat.png", variants) == ["a/b/cat_small.webp"]
    assert len(expected_output_keys("x.jpg", DEFAULT_VARIANTS)) == len(DEFAULT_VARIANTS)


def test_is_processed_needs_every_output_no_older_than_the_source():
    src = source()
    outputs = {
        key: T0 + timedelta(seconds=1) for key in expected_output_keys(src.key, DEFAULT_VARIANTS)
    }
    assert is_processed(src, outputs, DEFAULT_VARIANTS)

    missing_one = dict(outputs)
    missing_one.pop(next(iter(missing_one)))
    assert not is_processed(src, missing_one, DEFAULT_VARIANTS)

    stale = dict(outputs)
    stale[next(iter(stale))] = T0 - timedelta(seconds=1)
    assert not is_processed(src, stale, DEFAULT_VARIANTS)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("", ""), ("photos/", "photos/"), ("photos/2024-", "photos/"), ("cat", ""), ("a/b/c", "a/b/")],
)
def test_processed_listing_prefix_keeps_the_folder_only(prefix, expected):
    assert listing_prefix_for_outputs(prefix) == expected
    key = prefix + "x.jpg"
    for output in expected_output_keys(key, DEFAULT_VARIANTS):
        assert output.startswith(expected)


def test_rate_limiter_spaces_calls():
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    limiter = RateLimiter(10, clock=lambda: now[0], sleep=sleep)
    waits = [limiter.acquire() for _ in range(3)]
    assert waits == pytest.approx([0.0, 0.1, 0.2])
    assert slept == pytest.approx([0.1, 0.2])
    now[0] = 200.0
    assert limiter.acquire() == 0.0
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0)


def test_state_round_trips_and_tracks_versions(tmp_path):
    path = tmp_path / "nested" / "state.json"
    state = BackfillState.load(path, "uploads")
    assert state.done == {}
    state.mark_done(source("a.jpg", "v1"))
    state.mark_failed(source("b.jpg", None), "throttled")
    state.save(path)

    again = BackfillState.load(path, "uploads")
    assert again.is_done(source("a.jpg", "v1"))
    assert not again.is_done(source("a.jpg", "v2"))  # re-uploaded since: process again
    assert not again.is_done(source("b.jpg", None))
    assert again.failed == {"b.jpg": "throttled"}
    again.mark_done(source("b.jpg", None))
    assert again.failed == {}
    assert json.loads(path.read_text())["bucket"] == "uploads"

    with pytest.raises(ValueError, match="not 'other'"):
        BackfillState.load(path, "other")
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        BackfillState.load(path, "uploads")
