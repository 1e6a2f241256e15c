"""The tutorial and libvips baselines write the same five outputs as the project's variant spec."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from bench import tutorial, vips
from bench.outputs import DEFAULT_VARIANTS

KEY = "uploads/holiday/beach.jpg"
EXPECTED_NAMES = [
    "uploads/holiday/beach_compressed.jpg",
    "uploads/holiday/beach_low_quality.jpg",
    "uploads/holiday/beach_converted.webp",
    "uploads/holiday/beach_converted.png",
    "uploads/holiday/beach_thumbnail.jpg",
]


def photo_bytes(size: tuple[int, int] = (600, 400), fmt: str = "JPEG", mode: str = "RGB") -> bytes:
    """A small image with edges and gradients, so every encoder has something to do."""
    image = Image.linear_gradient("L").resize(size).convert(mode)
    draw = ImageDraw.Draw(image)
    draw.ellipse((50, 50, 300, 300), fill=(200, 30, 30) + ((128,) if mode == "RGBA" else ()))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("impl", [tutorial, vips], ids=["tutorial", "pyvips"])
def test_five_outputs_match_the_spec(impl):
    kept: dict[str, bytes] = {}
    outputs = impl.process(photo_bytes(), KEY, keep=kept)
    assert [o.name for o in outputs] == EXPECTED_NAMES
    assert [o.format for o in outputs] == [v.format for v in DEFAULT_VARIANTS]
    assert [(o.width, o.height) for o in outputs] == [(600, 400)] * 4 + [(150, 100)]
    for output in outputs:
        data = kept[output.name]
        assert output.size == len(data)
        with Image.open(io.BytesIO(data)) as decoded:
            assert decoded.format == output.format
            assert decoded.size == (output.width, output.height)


def test_lower_jpeg_quality_is_smaller_in_both():
    for impl in (tutorial, vips):
        sizes = {o.name: o.size for o in impl.process(photo_bytes(), KEY)}
        assert sizes[EXPECTED_NAMES[1]] < sizes[EXPECTED_NAMES[0]]


def test_tutorial_converts_alpha_for_jpeg_and_keeps_it_for_png():
    kept: dict[str, bytes] = {}
    tutorial.process(photo_bytes(fmt="PNG", mode="RGBA"), "a.png", keep=kept)
    with Image.open(io.BytesIO(kept["a_compressed.jpg"])) as jpeg:
        assert jpeg.mode == "RGB"
    with Image.open(io.BytesIO(kept["a_converted.png"])) as png:
        assert png.mode == "RGBA"


def test_portrait_thumbnail_fits_the_box():
    outputs = tutorial.process(photo_bytes((300, 900)), KEY)
    vips_outputs = vips.process(photo_bytes((300, 900)), KEY)
    assert (outputs[-1].width, outputs[-1].height) == (50, 150)
    assert (vips_outputs[-1].width, vips_outputs[-1].height) == (50, 150)
