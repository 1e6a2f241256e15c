"""function.decoding: reduced JPEG decodes and pixel limits."""

from __future__ import annotations

import pytest
from PIL import Image

from function.decoding import InvalidImageError, decode
from function.rendering import draft_planner
from function.variant_spec import DEFAULT_VARIANTS, VariantSpec
from tests.function.function_helpers import encode, photo

MIB = 1024 * 1024


def test_jpeg_is_decoded_smaller_when_every_variant_is_small():
    data = encode(photo((2400, 1600)), "JPEG")
    thumb = (VariantSpec("t", "JPEG", max_width=150, max_height=150),)
    reduced = decode(data, 10**8, draft_planner(thumb))
    full = decode(data, 10**8, draft_planner(DEFAULT_VARIANTS))
    assert reduced.source_size == full.source_size == (2400, 1600)
    assert full.image.size == (2400, 1600)
    assert reduced.image.size == (600, 400)  # libjpeg DCT scaling by 1/4, still >= 3x the output


@pytest.mark.parametrize(
    ("mode", "transparent"),
    [("RGBA", True), ("LA", True), ("P", True), ("RGB", False), ("L", False), ("P", False)],
)
def test_decode_holds_sources_with_transparency_to_the_alpha_limit(mode, transparent):
    image = Image.new(mode, (100, 80))
    options = {"transparency": 0} if mode == "P" and transparent else {}
    data = encode(image, "PNG", **options)
    assert decode(data, 8000, max_alpha_pixels=8000).source_size == (100, 80)
    if transparent:
        with pytest.raises(InvalidImageError, match="with transparency exceeds 7999"):
            decode(data, 8000, max_alpha_pixels=7999)
    else:
        assert decode(data, 8000, max_alpha_pixels=10).source_size == (100, 80)


def test_decode_limits_leave_pillows_global_threshold_alone():
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(InvalidImageError, match="MAX_PIXELS=5000"):
        decode(encode(Image.new("L", (100, 100)), "PNG"), 5000)
    assert decode(encode(Image.new("L", (10, 10)), "PNG"), 5000).source_size == (10, 10)
    assert before == Image.MAX_IMAGE_PIXELS
    with pytest.raises(InvalidImageError, match="empty"):
        decode(b"", 5000)
