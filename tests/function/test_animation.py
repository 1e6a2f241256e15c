"""Animated GIF, WebP and APNG uploads: an animated WebP with every frame, duration and loop,
first-frame stills for the other variants, and the frames x pixels budget."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from function.animation import render_animated_webp, still_variants
from function.budget import BYTES_PER_PIXEL
from function.decoding import InvalidImageError, decode
from function.settings import ANIMATION_BYTES_PER_FRAME_PIXEL, animation_pixel_limit
from function.variant_spec import DEFAULT_VARIANTS, VariantSpec
from tests.function.function_helpers import (
    DEFAULT_SUFFIXES,
    close,
    event,
    processed_keys,
    read_output,
    upload,
)

COLOURS = ((220, 30, 30), (30, 200, 30), (30, 30, 220), (240, 200, 40))
DURATIONS = (100, 250, 40, 500)
WEBP = VariantSpec("converted", "WEBP", quality=90)


def frames(size: tuple[int, int] = (120, 80), mode: str = "RGB") -> list[Image.Image]:
    """One flat colour per frame, with a white square that moves, so frames differ."""
    images = []
    for index, colour in enumerate(COLOURS):
        image = Image.new("RGB", size, colour)
        image.paste((255, 255, 255), (index * 10, 0, index * 10 + 10, 10))
        images.append(image.convert(mode) if mode != "P" else image.quantize(8))
    return images


def animated(image_format: str, loop: int | None = 0, **options: object) -> bytes:
    first, *rest = frames(mode="P" if image_format == "GIF" else "RGB")
    buffer = io.BytesIO()
    extra = {} if loop is None else {"loop": loop}
    first.save(
        buffer,
        image_format,
        save_all=True,
        append_images=rest,
        duration=list(DURATIONS),
        **extra,
        **options,
    )
    return buffer.getvalue()


def webp_frames(image: Image.Image) -> list[tuple[tuple[int, int, int], int]]:
    """(colour at the centre, duration) of every frame of an opened animated WebP."""
    found = []
    for index in range(image.n_frames):
        image.seek(index)
        centre = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
        found.append((centre, image.info["duration"]))
    return found


@pytest.mark.parametrize(
    ("image_format", "key", "loop"),
    [("GIF", "a.gif", 0), ("GIF", "b.gif", 3), ("WEBP", "c.webp", 0), ("PNG", "d.png", 2)],
)
def test_animated_source_gives_an_animated_webp_and_first_frame_stills(
    s3, handler, image_format, key, loop
):
    upload(s3, key, animated(image_format, loop))

    [entry] = handler.lambda_handler(event(key), None)["processed"]

    stem = key.rsplit(".", 1)[0]
    outputs = [f"{stem}_{s}.{e}" for s, e in DEFAULT_SUFFIXES]
    assert processed_keys(s3) == sorted([*outputs, f"{stem}_manifest.json"])
    webp, _ = read_output(s3, f"{stem}_converted.webp")
    assert webp.n_frames == len(COLOURS)
    assert webp.info["loop"] == loop
    found = webp_frames(webp)
    assert [duration for _, duration in found] == list(DURATIONS)
    assert all(close(c, e, 30) for (c, _), e in zip(found, COLOURS, strict=True)), found
    for suffix, extension in DEFAULT_SUFFIXES:
        if extension == "webp":
            continue
        still, _ = read_output(s3, f"{stem}_{suffix}.{extension}")
        assert getattr(still, "n_frames", 1) == 1
        centre = still.convert("RGB").getpixel((still.width // 2, still.height // 2))
        assert close(centre, COLOURS[0], 30), (suffix, centre)
    [summary] = [output for output in entry["outputs"] if output["key"].endswith(".webp")]
    assert (summary["width"], summary["height"]) == (120, 80)


def test_gif_without_a_loop_extension_plays_once():
    data = animated("GIF", loop=None)
    assert "loop" not in Image.open(io.BytesIO(data)).info

    webp = render_animated_webp(data, WEBP)

    assert webp.loop == 1
    assert Image.open(io.BytesIO(webp.data)).info["loop"] == 1


def test_resized_webp_variant_resizes_every_frame_and_keeps_transparency():
    first, *rest = [image.convert("RGBA") for image in frames((200, 100))]
    for image in (first, *rest):
        image.paste((0, 0, 0, 0), (0, 50, 200, 100))  # bottom half transparent
    buffer = io.BytesIO()
    first.save(buffer, "PNG", save_all=True, append_images=rest, duration=list(DURATIONS))
    spec = VariantSpec("small", "WEBP", quality=90, max_width=100)

    webp = render_animated_webp(buffer.getvalue(), spec)

    image = Image.open(io.BytesIO(webp.data))
    assert (image.n_frames, image.size, webp.durations) == (4, (100, 50), DURATIONS)
    for index, colour in enumerate(COLOURS):
        image.seek(index)
        rgba = image.convert("RGBA")
        assert close(rgba.getpixel((50, 12))[:3], colour, 30)
        assert rgba.getpixel((50, 40))[3] == 0


def test_same_animation_gives_the_same_bytes():
    data = animated("GIF")
    assert render_animated_webp(data, WEBP).data == render_animated_webp(data, WEBP).data


def many_frames_gif(count: int, size: tuple[int, int]) -> bytes:
    images = [Image.new("P", size, index % 200) for index in range(count)]
    for image in images:
        image.putpalette([value for grey in range(256) for value in (grey, grey, grey)])
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=20)
    return buffer.getvalue()


def test_a_thousand_frame_gif_over_the_budget_is_rejected_before_any_frame_is_rendered(
    s3, load_handler
):
    handler = load_handler(MAX_PIXELS="1000000")
    budget = 1_000_000 * BYTES_PER_PIXEL // ANIMATION_BYTES_PER_FRAME_PIXEL  # 4,000,000
    assert budget < 1000 * 100 * 100
    upload(s3, "long.gif", many_frames_gif(1000, (100, 100)))

    result = handler.lambda_handler(event("long.gif"), None)

    [rejected] = result["rejected"]
    assert rejected["reason"].startswith(
        "animation too large: 1000 frames x 100x100 = 10000000 frame pixels exceeds the budget "
        f"of {budget}"
    )
    assert processed_keys(s3) == []


def test_the_frame_budget_applies_only_when_an_output_is_animated(s3, load_handler):
    variants = [{"suffix": "still", "format": "JPEG"}, {"suffix": "png", "format": "PNG"}]
    handler = load_handler(MAX_PIXELS="1000000", VARIANTS=json.dumps(variants))
    upload(s3, "long.gif", many_frames_gif(1000, (100, 100)))

    [entry] = handler.lambda_handler(event("long.gif"), None)["processed"]

    assert [output["key"] for output in entry["outputs"]] == ["long_still.jpg", "long_png.png"]


def test_decode_counts_frames_and_checks_the_budget_from_the_header():
    data = animated("GIF")
    assert decode(data, 10**6).frames == 4
    assert decode(data, 10**6, max_frame_pixels=4 * 120 * 80).frames == 4
    with pytest.raises(InvalidImageError, match="4 frames x 120x80 = 38400 frame pixels"):
        decode(data, 10**6, max_frame_pixels=4 * 120 * 80 - 1)
    assert decode(animated("PNG"), 10**6).frames == 4
    assert decode(frames()[0].tobytes("jpeg", "RGB"), 10**6).frames == 1


def test_still_variants_leave_out_webp_only_for_animations():
    assert still_variants(DEFAULT_VARIANTS, 1) == list(DEFAULT_VARIANTS)
    assert [spec.format for spec in still_variants(DEFAULT_VARIANTS, 4)] == [
        "JPEG",
        "JPEG",
        "PNG",
        "JPEG",
    ]


def test_animation_budget_scales_with_max_pixels_and_is_capped():
    assert animation_pixel_limit(1_000_000) == 4_000_000  # 24 B per pixel over 6 a frame pixel
    assert animation_pixel_limit(6_000_000) == 24_000_000
    assert animation_pixel_limit(31_157_686) == 40_000_000
