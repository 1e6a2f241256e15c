"""What to do with an event, decided from the upload key's state now (pure).

S3 delivers events at least once and in any order, and Lambda retries, so an event only says
"look at this key". The function acts on the key's *current* state (a HEAD without a version:
the current version, or gone) and on the manifest in place, never on the event's version alone:

- the key is gone: its outputs are removed (a removal event) or the event is rejected as gone
  (a creation event: the removal event of the same key removes whatever is left);
- the event's version is not the current one: skipped as stale, because the current version's
  own creation event is delivered too (at least once) and processes it; processing the current
  version here instead would only duplicate that work;
- the manifest already names the current version: nothing to write (a duplicate or a retry of a
  creation event publishes its notification again, in case the first publish was lost);
- otherwise the current version is processed. A removal event for a key that still exists (a
  noncurrent version deleted, or the current version deleted so an older one is current again)
  processes the current version when the manifest does not name it: no creation event will.

:func:`still_current` is the check made before and after the manifest is written, so outputs of a
version that stopped being current while it was processed are removed instead of left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

GONE_REASON = "source object not found (404)"


@dataclass(frozen=True)
class CurrentObject:
    """The upload key's current version, from a HEAD without a version id."""

    version_id: str | None
    etag: str | None
    last_modified: datetime | None = None
    size: int | None = None


@dataclass(frozen=True)
class ManifestRef:
    """What the manifest in place says it describes."""

    key: str
    version_id: str | None
    etag: str | None


@dataclass(frozen=True)
class Decision:
    """What to do: ``process`` (the current version), ``republish`` (outputs complete: publish
    the stored manifest again), ``skip``, ``reject`` or ``remove`` (the key's outputs)."""

    action: Literal["process", "republish", "skip", "reject", "remove"]
    reason: str = ""


def describes(manifest: ManifestRef | None, key: str, current: CurrentObject) -> bool:
    """Whether ``manifest`` describes exactly the current version of ``key`` (version id and
    ETag both match, so an overwrite in an unversioned bucket is seen too)."""
    return (
        manifest is not None
        and manifest.key == key
        and manifest.version_id == current.version_id
        and _same_etag(manifest.etag, current.etag)
    )


def decide_created(
    key: str,
    event_version: str | None,
    current: CurrentObject | None,
    manifest: ManifestRef | None,
) -> Decision:
    """The decision for an ``ObjectCreated`` event of ``key`` naming ``event_version`` (``None``
    when the event names none: then the current version is meant)."""
    if current is None:
        return Decision("reject", GONE_REASON)
    if event_version is not None and event_version != current.version_id:
        return Decision(
            "skip",
            f"stale event: version {event_version} is no longer current "
            f"({current.version_id} is; its own event processes it)",
        )
    if describes(manifest, key, current):
        return Decision("republish", "outputs of this version are already complete")
    return Decision("process")


def decide_removed(
    key: str, current: CurrentObject | None, manifest: ManifestRef | None, delete_outputs: bool
) -> Decision:
    """The decision for an ``ObjectRemoved`` event of ``key``."""
    if not delete_outputs:
        return Decision("skip", "removal events are ignored: DELETE_OUTPUTS is off")
    if current is None:
        return Decision("remove")
    if describes(manifest, key, current):
        return Decision("skip", "the key still exists and its outputs are of its current version")
    return Decision("process")


def still_current(
    processed_version: str | None, processed_etag: str | None, current: CurrentObject | None
) -> bool:
    """Whether the version just processed is still the key's current version."""
    return (
        current is not None
        and current.version_id == processed_version
        and _same_etag(processed_etag, current.etag)
    )


def _same_etag(first: str | None, second: str | None) -> bool:
    if first is None or second is None:
        return True
    return first.strip('"') == second.strip('"')
