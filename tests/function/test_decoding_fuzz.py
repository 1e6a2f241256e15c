"""Property test: no upload, however mangled, makes the handler raise; each one is either
processed into readable outputs or rejected with a reason."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.function.function_helpers import PROCESSED, encode, photo, upload
from tests.function.function_helpers import event as s3_event


def seed_images() -> list[bytes]:
    """Small valid files in every allowed format, several modes, with metadata chunks."""
    rgb, rgba = photo((48, 32)), photo((40, 30), "RGBA")
    exif = Image.Exif()
    exif[0x0112] = 6
    return [
        encode(rgb, "JPEG", quality=80, exif=exif.tobytes()),
        encode(rgb, "JPEG", progressive=True),
        encode(rgb.convert("CMYK"), "JPEG"),
        encode(rgba, "PNG"),
        encode(rgb.convert("P"), "PNG", transparency=0),
        encode(rgb.convert("P"), "GIF", save_all=True, append_images=[rgb.convert("P")]),
        encode(rgba, "WEBP"),
        encode(rgb, "WEBP", lossless=True),
        encode(rgb, "TIFF", compression="tiff_lzw"),
        encode(rgb.convert("L"), "BMP"),
        encode(rgb, "AVIF", quality=50),
    ]


SEEDS = seed_images()


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    # Mostly small corruptions, so that many inputs still decode and reach the encoders.
    actions = ["flip"] * 4 + ["set"] * 2 + ["truncate", "insert", "delete", "copy"]
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(actions))
        position = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and data:
            data[position] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0x01]))
        elif action == "truncate":
            del data[position:]
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 64))]
        elif action == "copy" and data:
            end = min(len(data), position + draw(st.integers(1, 64)))
            data[position:position] = data[position:end]
    return bytes(data)


@pytest.fixture
def small_limit_handler(load_handler):
    # Small limits keep each example fast; the limits themselves are tested elsewhere.
    return load_handler(MAX_PIXELS="1000000", MAX_INPUT_BYTES="1000000")


# Pillow's plugins warn (UserWarning: "Corrupt EXIF data", "Truncated File Read"...) about the
# metadata of some mangled files as they read them: expected noise here, and only here.
@pytest.mark.filterwarnings(r"ignore::UserWarning:PIL\.")
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.one_of(mangled(), st.binary(max_size=256)))
def test_mangled_uploads_are_processed_or_rejected_never_raised(s3, small_limit_handler, data):
    upload(s3, "fuzz.bin", data)

    result = small_limit_handler.lambda_handler(s3_event("fuzz.bin"), None)

    event("processed" if result["processed"] else "rejected")
    assert len(result["processed"]) + len(result["rejected"]) == 1
    for rejected in result["rejected"]:
        assert rejected["key"] == "fuzz.bin" and rejected["reason"]
    for entry in result["processed"]:
        assert len(entry["outputs"]) == 5
        for output in entry["outputs"]:
            body = s3.get_object(Bucket=PROCESSED, Key=output["key"])["Body"].read()
            image = Image.open(io.BytesIO(body))
            image.load()
            assert image.size == (output["width"], output["height"])
