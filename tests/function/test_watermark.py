"""The watermark by its pixels: where the mark is, at what opacity, and that nothing else moves."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image, ImageChops

from function.settings import ConfigError, load_settings
from function.variant_spec import VariantSpec
from function.watermark import apply_watermark, parse_watermark, watermark_finisher
from tests.function.function_helpers import PROCESSED, event, read_output, upload

GREY = (100, 100, 100)
RED = (255, 0, 0)
SIZE = (400, 200)
# A 0.25-wide mark on a 400-pixel output is 100x50 (the PNG is 2:1); margin 0.05 is 20 pixels.
EXPECTED_BOX = {
    "top-left": (20, 20, 120, 70),
    "top-right": (280, 20, 380, 70),
    "bottom-left": (20, 130, 120, 180),
    "bottom-right": (280, 130, 380, 180),
    "center": (150, 75, 250, 125),
}


@pytest.fixture
def mark_root(tmp_path):
    """A repository-like root holding function/assets/mark.png: solid red, 40x20."""
    assets = tmp_path / "function" / "assets"
    assets.mkdir(parents=True)
    Image.new("RGBA", (40, 20), (*RED, 255)).save(assets / "mark.png")
    return tmp_path


def image_mark(root, **fields):
    spec = {"image": "function/assets/mark.png", "size": 0.25, "margin": 0.05, **fields}
    return parse_watermark(json.dumps(spec), root)


@pytest.mark.parametrize("position", sorted(EXPECTED_BOX))
def test_image_mark_is_where_asked_at_the_opacity_asked_and_nowhere_else(mark_root, position):
    base = Image.new("RGB", SIZE, GREY)

    marked = apply_watermark(image_mark(mark_root, position=position, opacity=0.5), base)

    assert marked.mode == "RGB"
    left, top, right, bottom = EXPECTED_BOX[position]
    assert ImageChops.difference(marked, base).getbbox() == (left, top, right, bottom)
    inside = marked.crop((left + 2, top + 2, right - 2, bottom - 2))
    assert inside.getcolors() == [(96 * 46, (178, 50, 50))]  # 100 + (255 - 100) / 2, 100 / 2


def test_opacity_scales_the_blend(mark_root):
    base = Image.new("RGB", SIZE, GREY)
    for opacity, expected in ((1.0, RED), (0.2, (131, 80, 80))):
        marked = apply_watermark(image_mark(mark_root, opacity=opacity), base)
        assert marked.getpixel((330, 155)) == expected


def test_tiled_mark_repeats_across_the_output_within_the_margin(mark_root):
    base = Image.new("RGB", SIZE, GREY)

    marked = apply_watermark(image_mark(mark_root, position="tiled", opacity=1.0), base)

    # Tiles of 100x50 every 120x70 from (20, 20): three across, two down.
    red = Image.new("RGB", SIZE, (0, 0, 0))
    for x in (20, 140, 260):
        for y in (20, 90):
            red.paste(RED, (x, y, x + 100, y + 50))
    expected = Image.composite(red, base, red.convert("L").point(lambda v: 255 if v else 0))
    assert ImageChops.difference(marked, expected).getbbox() is None


def test_mark_scales_with_each_output(mark_root):
    watermark = image_mark(mark_root, opacity=1.0)
    small = apply_watermark(watermark, Image.new("RGB", (200, 100), GREY))
    box = ImageChops.difference(small, Image.new("RGB", (200, 100), GREY)).getbbox()
    assert box == (140, 65, 190, 90)  # 50x25 with a 10-pixel margin


def test_text_mark_is_drawn_in_its_corner_at_its_opacity():
    base = Image.new("L", SIZE, 0)
    watermark = parse_watermark('{"text": "MARK", "size": 0.1, "opacity": 0.5}')

    marked = apply_watermark(watermark, base)

    left, top, right, bottom = ImageChops.difference(marked, base).getbbox()
    assert (right, bottom) == (392, 192)  # margin 0.02 of 400 = 8 pixels
    assert right - left > 100 and 20 < bottom - top < 40  # 40-pixel glyphs of "MARK"
    assert marked.getextrema() == (0, 128)  # white at half opacity, anti-aliased edges below


def test_alpha_of_the_output_is_kept_where_there_is_no_mark(mark_root):
    base = Image.new("RGBA", SIZE, (*GREY, 0))
    marked = apply_watermark(image_mark(mark_root, opacity=1.0), base)
    assert marked.mode == "RGBA"
    assert marked.getpixel((10, 10)) == (*GREY, 0)
    assert marked.getpixel((330, 155)) == (*RED, 255)


def test_finisher_marks_every_variant_but_the_thumbnail_by_default(mark_root):
    finish = watermark_finisher(image_mark(mark_root))
    base = Image.new("RGB", SIZE, GREY)
    assert finish(VariantSpec("thumbnail", "JPEG"), base) is base
    assert finish(VariantSpec("converted", "PNG"), base) is not base
    only = watermark_finisher(image_mark(mark_root, variants=["thumbnail"]))
    assert only(VariantSpec("converted", "PNG"), base) is base
    assert only(VariantSpec("thumbnail", "JPEG"), base) is not base
    assert watermark_finisher(None) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{", "watermark is not valid JSON"),
        ("[]", "watermark must be a JSON object, got list"),
        ('{"text": ""}', "watermark.text must be 1-200 characters"),
        ('{"text": "x", "size": "big"}', "watermark.size must be a number above 0"),
        ('{"text": "x", "margin": 0.6}', "watermark.margin must be a number from 0 and at most"),
        ('{"text": "x", "color": "red"}', "watermark.color must be '#rrggbb'"),
        ('{"text": "x", "variants": []}', "watermark.variants must be a non-empty list"),
        ('{"image": "function/assets/../../etc/x.png"}', "watermark.image must be a PNG path"),
        ('{"image": "function/assets/mark.png", "color": "#000000"}', "watermark.color applies"),
    ],
)
def test_bad_specifications_name_the_field(mark_root, value, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse_watermark(value, mark_root)


def test_a_mark_that_is_not_a_png_is_refused(mark_root):
    (mark_root / "function" / "assets" / "fake.png").write_bytes(b"GIF89a not a png")
    with pytest.raises(ValueError, match=r"watermark\.image 'function/assets/fake\.png' cannot be"):
        parse_watermark('{"image": "function/assets/fake.png"}', mark_root)


def test_cold_start_names_the_variable():
    with pytest.raises(ConfigError) as caught:
        load_settings({"PROCESSED_BUCKET": "b", "WATERMARK": '{"text": "x", "opacity": 3}'})
    assert caught.value.variable == "WATERMARK"
    assert str(caught.value) == (
        "WATERMARK: watermark.opacity must be a number above 0 and at most 1, got 3"
    )


def test_handler_marks_the_outputs_deterministically_and_leaves_the_thumbnail(s3, load_handler):
    data = Image.new("RGB", (600, 300), GREY)
    upload(s3, "plain.png", _png(data))
    plain = load_handler()
    plain.lambda_handler(event("plain.png"), None)
    unmarked = {name: _output(s3, f"plain_{name}") for name in ("converted.png", "thumbnail.jpg")}

    handler = load_handler(WATERMARK='{"text": "SAMPLE", "opacity": 0.6, "position": "center"}')
    for key in ("a.png", "b.png"):
        upload(s3, key, _png(data))
        handler.lambda_handler(event(key), None)

    assert _output(s3, "a_converted.png") == _output(s3, "b_converted.png")  # same bytes
    assert _output(s3, "a_converted.webp") == _output(s3, "b_converted.webp")
    assert _output(s3, "a_thumbnail.jpg") == unmarked["thumbnail.jpg"]
    marked, _ = read_output(s3, "a_converted.png")
    base, _ = read_output(s3, "plain_converted.png")
    left, top, right, bottom = ImageChops.difference(marked, base).getbbox()
    assert abs((left + right) / 2 - 300) <= 2 and abs((top + bottom) / 2 - 150) <= 3
    assert 100 < right - left < 200  # "SAMPLE" at 5% of 600: a 30-pixel font
    assert max(marked.convert("L").getextrema()) == round(100 + (255 - 100) * 0.6)
    jpeg, _ = read_output(s3, "a_compressed.jpg")
    assert max(jpeg.convert("L").crop((left, top, right, bottom)).getextrema()) > 170


def test_every_frame_of_an_animation_is_marked(s3, load_handler):
    frames = [Image.new("RGB", (200, 100), colour) for colour in ((0, 0, 0), (0, 0, 120))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    upload(s3, "anim.gif", buffer.getvalue())
    handler = load_handler(WATERMARK='{"text": "MM", "size": 0.2, "opacity": 1}')

    handler.lambda_handler(event("anim.gif"), None)

    webp, _ = read_output(s3, "anim_converted.webp")
    assert webp.n_frames == 2
    for index in range(2):
        webp.seek(index)
        grey = webp.convert("L")
        assert grey.crop((0, 0, 100, 50)).getextrema()[1] < 40  # top-left untouched
        assert grey.crop((100, 50, 200, 100)).getextrema()[1] > 200  # white mark bottom-right


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _output(s3, key: str) -> bytes:
    return s3.get_object(Bucket=PROCESSED, Key=key)["Body"].read()
