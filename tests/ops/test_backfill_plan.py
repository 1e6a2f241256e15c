"""Pure logic of the backfill: expected outputs, staleness, pacing, the state file, the event."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from function.variant_spec import DEFAULT_VARIANTS, parse_variants
from ops.backfill_plan import (
    BackfillState,
    RateLimiter,
    SourceObject,
    expected_output_keys,
    manifest_covers,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def source(key: str = "dir/photo.jpg", version: str | None = "v1", when=T0) -> SourceObject:
    return SourceObject(key=key, version_id=version, size=10, etag="abc", last_modified=when)


def test_expected_output_keys_follow_the_variant_spec():
    variants = parse_variants([{"suffix": "small", "format": "webp", "max_width": 100}])
    assert expected_output_keys("a/b/cat.png", variants) == ["a/b/cat_small.webp"]
    assert len(expected_output_keys("x.jpg", DEFAULT_VARIANTS)) == len(DEFAULT_VARIANTS)


def test_a_manifest_covers_only_its_version_with_every_expected_output():
    src = source()
    outputs = expected_output_keys(src.key, DEFAULT_VARIANTS)
    manifest = {
        "source": {"key": src.key, "version_id": src.version_id},
        "variants": [{"key": key} for key in outputs],
    }
    assert manifest_covers(manifest, src, DEFAULT_VARIANTS)
    assert not manifest_covers(None, src, DEFAULT_VARIANTS)
    older = {**manifest, "source": {"key": src.key, "version_id": "an-older-version"}}
    assert not manifest_covers(older, src, DEFAULT_VARIANTS)
    other_key = {**manifest, "source": {"key": "other.jpg", "version_id": src.version_id}}
    assert not manifest_covers(other_key, src, DEFAULT_VARIANTS)
    new_variants = parse_variants([{"suffix": "new", "format": "AVIF"}])
    assert not manifest_covers(manifest, src, new_variants)


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
