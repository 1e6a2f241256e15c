"""Pure logic of the backfill: which uploads need processing, pacing, and the resumable state."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from function.variant_spec import VariantSpec

STATE_VERSION = 1


@dataclass(frozen=True)
class SourceObject:
    """The current version of one object in the upload bucket."""

    key: str
    version_id: str | None
    size: int
    etag: str
    last_modified: datetime


def expected_output_keys(key: str, variants: Iterable[VariantSpec]) -> list[str]:
    """Keys the function writes to the processed bucket for the upload ``key``."""
    return [variant.output_key(key) for variant in variants]


def manifest_covers(
    manifest: Mapping[str, Any] | None, source: SourceObject, variants: Iterable[VariantSpec]
) -> bool:
    """Whether the upload's manifest (the function's completion marker) names this exact
    version of ``source`` and lists every output the configured ``variants`` call for. Outputs
    without a manifest are an incomplete set (or predate manifests): they are processed again,
    and so is a source whose variants changed since."""
    if manifest is None:
        return False
    described = manifest.get("source", {})
    if described.get("key") != source.key or described.get("version_id") != source.version_id:
        return False
    listed = {entry.get("key") for entry in manifest.get("variants", [])}
    return set(expected_output_keys(source.key, variants)) <= listed


class RateLimiter:
    """Spaces calls at least ``1 / rate`` seconds apart across threads (``rate`` per second)."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until the caller may proceed; return how long it waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait


@dataclass
class BackfillState:
    """Keys already handed to the function (with their version), kept in a JSON file so a rerun
    skips them, and keys whose invocation failed (retried on the next run)."""

    bucket: str
    done: dict[str, str | None] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def is_done(self, source: SourceObject) -> bool:
        """Whether this exact version of ``source`` was already invoked."""
        return source.key in self.done and self.done[source.key] == source.version_id

    def mark_done(self, source: SourceObject) -> None:
        """Record a successful invocation for ``source``."""
        self.done[source.key] = source.version_id
        self.failed.pop(source.key, None)

    def mark_failed(self, source: SourceObject, reason: str) -> None:
        """Record a failed invocation for ``source``."""
        self.failed[source.key] = reason

    def to_json(self) -> dict[str, Any]:
        """The JSON document written to the state file."""
        return {
            "version": STATE_VERSION,
            "bucket": self.bucket,
            "done": self.done,
            "failed": self.failed,
        }

    @classmethod
    def from_json(cls, data: Any, bucket: str) -> BackfillState:
        """Rebuild the state from its JSON document; the bucket must match ``bucket``."""
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError(f"not a backfill state file (version {STATE_VERSION})")
        if data.get("bucket") != bucket:
            raise ValueError(
                f"state file is for bucket {data.get('bucket')!r}, not {bucket!r}: "
                "use another --state file or --fresh"
            )
        done = data.get("done", {})
        failed = data.get("failed", {})
        if not isinstance(done, dict) or not isinstance(failed, dict):
            raise ValueError("state file 'done' and 'failed' must be objects")
        return cls(bucket=bucket, done=dict(done), failed=dict(failed))

    @classmethod
    def load(cls, path: Path, bucket: str) -> BackfillState:
        """Load the state from ``path``, or start empty when the file does not exist."""
        if not path.exists():
            return cls(bucket=bucket)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON: {exc}") from exc
        return cls.from_json(data, bucket)

    def save(self, path: Path) -> None:
        """Write the state atomically (a crash never leaves a truncated file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
