"""Pure parts of the smoke test and the stack-outputs reader."""

from __future__ import annotations

import hashlib
import io
import itertools
from datetime import UTC, datetime

import pytest
from PIL import Image

from function.variant_spec import DEFAULT_VARIANTS, VariantSpec, parse_variants
from infra.stack_outputs import REQUIRED_OUTPUT_NAMES
from ops.smoke_check import (
    PROBE_SIZE,
    VariantResult,
    backoff_delays,
    expected_size,
    format_report,
    inspect_variant,
    manifest_problems,
    missing_variants_message,
    probe_image,
    smoke_key,
)

OUTPUTS = {key: f"value-of-{key}" for key in REQUIRED_OUTPUT_NAMES}


def encode(size: tuple[int, int], fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buffer, fmt)
    return buffer.getvalue()


def test_smoke_keys_are_unique_and_under_smoke():
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert smoke_key("abc", when) == "smoke/20260102T030405Z-abc.jpg"
    assert smoke_key("a") != smoke_key("b")


def test_probe_image_is_a_small_jpeg_of_the_probe_size():
    body = probe_image()
    assert len(body) < 200_000
    with Image.open(io.BytesIO(body)) as image:
        assert (image.format, image.size) == ("JPEG", PROBE_SIZE)
        assert len(image.convert("L").getcolors(256)) > 50  # real content, not a flat colour


@pytest.mark.parametrize(
    ("entry", "source", "size"),
    [
        ({"suffix": "a", "format": "PNG"}, (640, 480), (640, 480)),
        (
            {"suffix": "a", "format": "JPEG", "max_width": 150, "max_height": 150},
            (640, 480),
            (150, 112),
        ),
        ({"suffix": "a", "format": "JPEG", "max_width": 100}, (640, 480), (100, 75)),
        ({"suffix": "a", "format": "JPEG", "max_height": 96}, (640, 480), (128, 96)),
        ({"suffix": "a", "format": "JPEG", "max_width": 2000}, (640, 480), (640, 480)),
        (
            {"suffix": "a", "format": "WEBP", "max_width": 200, "max_height": 200, "fit": "cover"},
            (640, 480),
            (200, 200),
        ),
        (
            {"suffix": "a", "format": "WEBP", "max_width": 1000, "max_height": 500, "fit": "cover"},
            (640, 480),
            (640, 320),
        ),
    ],
)
def test_expected_size(entry, source, size):
    (spec,) = parse_variants([entry])
    assert expected_size(spec, source) == size


def test_inspect_variant_accepts_the_right_output():
    spec = DEFAULT_VARIANTS[-1]  # thumbnail, JPEG 150x150 contain
    body = encode((150, 112), "JPEG")
    result = inspect_variant(
        key="k", spec=spec, body=body, content_type="image/jpeg", source=PROBE_SIZE, seconds=1.5
    )
    assert result.ok
    assert (result.size, result.format, result.bytes) == ((150, 112), "JPEG", len(body))


def test_inspect_variant_names_each_problem():
    spec = VariantSpec("t", "WEBP", quality=80, max_width=150, max_height=150)
    result = inspect_variant(
        key="k",
        spec=spec,
        body=encode((300, 200), "PNG"),
        content_type="image/png",
        source=PROBE_SIZE,
        seconds=1.0,
    )
    assert not result.ok
    assert any("is PNG, expected WEBP" in p for p in result.problems)
    assert any("ContentType 'image/png'" in p for p in result.problems)
    assert any("is 300x200, expected 150x112" in p for p in result.problems)
    broken = inspect_variant(
        key="k",
        spec=spec,
        body=b"not an image",
        content_type="image/webp",
        source=PROBE_SIZE,
        seconds=1.0,
    )
    assert any(p.startswith("does not decode") for p in broken.problems)


def test_backoff_grows_to_a_ceiling():
    delays = list(itertools.islice(backoff_delays(0.5, 2.0, 3.0), 5))
    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_missing_message_points_at_logs_and_failure_queue():
    message = missing_variants_message(
        missing=["smoke/x_thumbnail.jpg"],
        total=5,
        bucket="processed",
        timeout=30,
        log_group="/aws/lambda/fn",
        queue_url="https://sqs/q",
    )
    assert "1 of 5 variant(s) never appeared within 30s" in message
    assert "s3://processed/smoke/x_thumbnail.jpg" in message
    assert "/aws/lambda/fn" in message
    assert "https://sqs/q" in message


def test_report_lists_every_variant():
    spec = DEFAULT_VARIANTS[0]
    ok = inspect_variant(
        key="a.jpg",
        spec=spec,
        body=encode(PROBE_SIZE, "JPEG"),
        content_type="image/jpeg",
        source=PROBE_SIZE,
        seconds=2.0,
    )
    report = format_report("s3://u/k.jpg", 0.05, [ok, VariantResult("b.png", DEFAULT_VARIANTS[3])])
    assert "uploaded s3://u/k.jpg in 50 ms" in report
    assert "ok   a.jpg JPEG 640x480" in report
    assert "after 2.00s" in report
    assert "MISSING b.png" in report


# --- stack outputs ----------------------------------------------------------------------------


def test_manifest_problems_catch_absence_other_versions_and_bad_hashes():
    stored = {"p_a.jpg": b"one", "p_b.png": b"two"}
    manifest = {
        "source": {"key": "p.jpg", "version_id": "v1"},
        "variants": [
            {"key": "p_a.jpg", "sha256": hashlib.sha256(b"one").hexdigest()},
            {"key": "p_b.png", "sha256": hashlib.sha256(b"two").hexdigest()},
        ],
    }
    assert manifest_problems(manifest, "p.jpg", "v1", stored) == []
    assert manifest_problems(None, "p.jpg", "v1", stored) == [
        "the manifest never appeared: the set was not completed"
    ]
    assert "expected p.jpg version v2" in manifest_problems(manifest, "p.jpg", "v2", stored)[0]
    tampered = {**stored, "p_b.png": b"changed"}
    assert manifest_problems(manifest, "p.jpg", "v1", tampered) == [
        "p_b.png: sha256 in the manifest does not match the stored bytes"
    ]
    fewer = {"p_a.jpg": b"one"}
    assert "the manifest lists" in manifest_problems(manifest, "p.jpg", "v1", fewer)[0]
