"""The manifest: the completion marker written after every variant of one source version, and
the one description of that set (schema 1, documented in docs/output-contract.md). Pure.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from function.photo_facts import PhotoFacts
from function.variant_spec import VariantSpec, sibling_key

SCHEMA = 1
# The function's release; tests/function/test_manifest.py keeps it equal to pyproject's version.
PIPELINE_VERSION = "0.1.0"
MANIFEST_TAIL = "manifest.json"
MANIFEST_CONTENT_TYPE = "application/json"
MANIFEST_TAG = "manifest"


@dataclass(frozen=True)
class SourceFacts:
    """The source version the outputs were made from (``width``/``height`` upright)."""

    bucket: str
    key: str
    version_id: str | None
    etag: str | None
    bytes: int
    format: str
    width: int
    height: int
    has_alpha: bool


@dataclass(frozen=True)
class VariantEntry:
    """One output exactly as stored."""

    name: str
    key: str
    format: str
    content_type: str
    width: int
    height: int
    bytes: int
    sha256: str


def manifest_key(source_key: str) -> str:
    """The manifest's key for ``source_key``: ``<dir>/<stem>_manifest.json``."""
    return sibling_key(source_key, MANIFEST_TAIL)


def variant_entry(
    spec: VariantSpec, key: str, data: bytes, width: int, height: int
) -> VariantEntry:
    """The manifest entry of one output whose stored bytes are ``data``."""
    return VariantEntry(
        name=spec.name,
        key=key,
        format=spec.format,
        content_type=spec.content_type,
        width=width,
        height=height,
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def build_manifest(
    source: SourceFacts,
    facts: PhotoFacts,
    variants: list[VariantEntry],
    *,
    processed_at: datetime,
    duration_ms: float,
) -> dict[str, Any]:
    """The manifest (schema 1) of one processed source version."""
    return {
        "schema": SCHEMA,
        "source": asdict(source),
        "metadata": asdict(facts),
        "variants": [asdict(entry) for entry in variants],
        "processed_at": _utc(processed_at),
        "duration_ms": duration_ms,
        "pipeline_version": PIPELINE_VERSION,
    }


def encode_manifest(manifest: dict[str, Any]) -> bytes:
    """The stored bytes of a manifest: UTF-8 JSON, keys in schema order, indented for people."""
    return json.dumps(manifest, indent=2, ensure_ascii=False).encode()


def decode_manifest(data: bytes) -> dict[str, Any] | None:
    """A stored manifest read back, or ``None`` when it is not a schema-1 manifest (a foreign or
    damaged object under a manifest key is never trusted)."""
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        return None
    source = manifest.get("source")
    if not isinstance(source, dict) or not isinstance(manifest.get("variants"), list):
        return None
    return manifest


def _utc(moment: datetime) -> str:
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
