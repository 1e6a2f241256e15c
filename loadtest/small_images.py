"""Small real images for the load test, the same bytes for the same index on every run."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

SIZES = ((96, 64), (64, 96), (120, 90), (80, 80))


def small_image(index: int) -> tuple[str, bytes, str]:
    """Upload ``index``: ``(key, bytes, content type)``; JPEG mostly, one in five a PNG with
    transparency, both a few kilobytes."""
    rng = random.Random(index)  # noqa: S311 (reproducible pictures, not secrets)
    size = SIZES[index % len(SIZES)]
    png = index % 5 == 4
    image = Image.new("RGBA" if png else "RGB", size, _colour(rng, 255 if png else None))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x, y, x + rng.randrange(8, 40), y + rng.randrange(8, 40))
        draw.ellipse(box, fill=_colour(rng, rng.randrange(80, 256) if png else None))
    buffer = io.BytesIO()
    if png:
        image.save(buffer, format="PNG")
        return f"burst/{index:06d}.png", buffer.getvalue(), "image/png"
    image.save(buffer, format="JPEG", quality=85)
    return f"burst/{index:06d}.jpg", buffer.getvalue(), "image/jpeg"


def _colour(rng: random.Random, alpha: int | None) -> tuple[int, ...]:
    rgb = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    return rgb if alpha is None else (*rgb, alpha)
