"""function.manifest: schema 1, keys, and stored bytes read back."""

from __future__ import annotations

import hashlib
import tomllib
from datetime import UTC, datetime

from function.manifest import (
    PIPELINE_VERSION,
    SourceFacts,
    build_manifest,
    decode_manifest,
    encode_manifest,
    manifest_key,
    variant_entry,
)
from function.photo_facts import Camera, Exposure, PhotoFacts
from function.variant_spec import DEFAULT_VARIANTS
from tests.repo import REPO_ROOT


def test_manifest_key_sits_beside_the_variants():
    assert manifest_key("dir/sub/a.b.jpg") == "dir/sub/a.b_manifest.json"
    assert manifest_key("photo") == "photo_manifest.json"
    assert DEFAULT_VARIANTS[0].output_key("dir/a.jpg") == "dir/a_compressed.jpg"


def test_schema_1_fields_and_round_trip():
    source = SourceFacts("up", "a.jpg", "v1", "abc", 123, "JPEG", 20, 40, False)
    facts = PhotoFacts("2024-06-01T14:30:05", Camera("Canon"), Exposure(iso=100), 6, None, True)
    data = b"\xff\xd8bytes"
    entry = variant_entry(DEFAULT_VARIANTS[3], "a_converted.png", data, 20, 40)

    manifest = build_manifest(
        source,
        facts,
        [entry],
        processed_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        duration_ms=12.5,
    )

    assert list(manifest) == [
        "schema", "source", "metadata", "variants", "processed_at", "duration_ms",
        "pipeline_version",
    ]  # fmt: skip
    assert manifest["schema"] == 1
    assert manifest["processed_at"] == "2026-01-02T03:04:05.678Z"
    assert manifest["metadata"]["camera"] == {"make": "Canon", "model": None, "lens": None}
    assert manifest["metadata"]["gps_present"] is True
    assert manifest["variants"] == [
        {
            "name": "converted.png",
            "key": "a_converted.png",
            "format": "PNG",
            "content_type": "image/png",
            "width": 20,
            "height": 40,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    ]
    assert decode_manifest(encode_manifest(manifest)) == manifest


def test_foreign_objects_are_not_manifests():
    assert decode_manifest(b"\xff\xfe") is None
    assert decode_manifest(b"[1, 2]") is None
    assert decode_manifest(b'{"schema": 2, "source": {}, "variants": []}') is None
    assert decode_manifest(b'{"schema": 1, "source": "x", "variants": []}') is None


def test_pipeline_version_is_the_project_version():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert project["version"] == PIPELINE_VERSION
