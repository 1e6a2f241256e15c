"""function.convergence: the decision table, from the key's current state."""

from __future__ import annotations

import pytest

from function.convergence import (
    GONE_REASON,
    CurrentObject,
    ManifestRef,
    decide_created,
    decide_removed,
    describes,
    still_current,
)

CURRENT = CurrentObject("v2", '"e2"')
OWN = ManifestRef("a.jpg", "v2", "e2")


@pytest.mark.parametrize(
    ("event_version", "current", "manifest", "action"),
    [
        ("v2", None, None, "reject"),
        ("v1", CURRENT, None, "skip"),
        ("v1", CURRENT, OWN, "skip"),
        ("v2", CURRENT, None, "process"),
        ("v2", CURRENT, ManifestRef("a.jpg", "v1", "e1"), "process"),
        ("v2", CURRENT, ManifestRef("a.png", "v2", "e2"), "process"),
        ("v2", CURRENT, OWN, "republish"),
        (None, CURRENT, OWN, "republish"),
        (None, CURRENT, None, "process"),
    ],
)
def test_created(event_version, current, manifest, action):
    decision = decide_created("a.jpg", event_version, current, manifest)
    assert decision.action == action
    if action == "reject":
        assert decision.reason == GONE_REASON
    if action == "skip":
        assert "v1" in decision.reason and "v2" in decision.reason


@pytest.mark.parametrize(
    ("current", "manifest", "enabled", "action"),
    [
        (None, OWN, True, "remove"),
        (None, None, True, "remove"),
        (CURRENT, OWN, True, "skip"),
        (CURRENT, ManifestRef("a.jpg", "v1", "e1"), True, "process"),
        (CURRENT, None, True, "process"),
        (None, OWN, False, "skip"),
    ],
)
def test_removed(current, manifest, enabled, action):
    assert decide_removed("a.jpg", current, manifest, enabled).action == action


def test_unversioned_overwrites_are_told_apart_by_etag():
    unversioned = CurrentObject(None, '"new"')
    assert not describes(ManifestRef("a.jpg", None, "old"), "a.jpg", unversioned)
    assert describes(ManifestRef("a.jpg", None, "new"), "a.jpg", unversioned)
    assert still_current(None, "new", unversioned)
    assert not still_current(None, "old", unversioned)
    assert not still_current("v2", "e2", None)
    assert still_current("v2", "e2", CURRENT)
