"""function.colour: working modes and transparency."""

from __future__ import annotations

import pytest
from PIL import Image

from function.colour import for_family, to_working

MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("image", "mode", "pixel"),
    [
        (Image.new("1", (2, 2), 1), "L", 255),
        (Image.new("I", (2, 2), 65535), "L", 255),
        (Image.new("I", (2, 2), 200), "L", 200),
        (Image.new("F", (2, 2), 0.5), "L", 127),
        (Image.new("RGBX", (2, 2), (1, 2, 3, 0)), "RGB", (1, 2, 3)),
        (Image.new("YCbCr", (2, 2), (255, 128, 128)), "RGB", (255, 255, 255)),
    ],
)
def test_to_working_modes(image, mode, pixel):
    working = to_working(image)
    assert working.image.mode == mode
    assert working.image.getpixel((0, 0)) == pixel


def test_to_working_applies_trns_transparency_and_clears_info():
    grey = Image.new("L", (2, 1), 10)
    grey.putpixel((1, 0), 200)
    grey.info.update(transparency=10, comment=b"secret", exif=b"Exif\x00\x00")
    working = to_working(grey)
    assert working.image.mode == "LA"
    assert working.image.getpixel((0, 0)) == (10, 0) and working.image.getpixel((1, 0)) == (
        200,
        255,
    )
    assert working.image.info == {}
    opaque = for_family(working, "opaque").image
    assert opaque.mode == "L" and opaque.getpixel((0, 0)) == 255
    colour = for_family(working, "colour").image
    assert colour.mode == "RGBA" and colour.getpixel((1, 0)) == (200, 200, 200, 255)


def test_an_alpha_channel_opaque_everywhere_is_dropped():
    assert to_working(Image.new("RGBA", (4, 4), (1, 2, 3, 255))).image.mode == "RGB"
    assert to_working(Image.new("LA", (4, 4), (9, 255))).image.mode == "L"
    translucent = Image.new("RGBA", (4, 4), (1, 2, 3, 255))
    translucent.putpixel((3, 3), (1, 2, 3, 254))
    assert to_working(translucent).image.mode == "RGBA"
