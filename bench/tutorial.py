"""A tutorial-style handler: the upload is re-opened for every variant, Pillow defaults throughout.

The baseline of issue 6: ``Image.open`` per variant, ``img.thumbnail(box)`` for the bounded
variant, ``convert("RGB")`` where JPEG needs it and a plain ``img.save(buf, format, quality=...)``
(PNG with Pillow's default zlib level and filtering, WebP with its default method).
Only the ``contain`` fit is supported, as in such tutorials.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image

from bench.outputs import DEFAULT_VARIANTS, Output, VariantSpec, bounding_box


def process(
    data: bytes,
    key: str,
    variants: Sequence[VariantSpec] = DEFAULT_VARIANTS,
    keep: dict[str, bytes] | None = None,
) -> list[Output]:
    """Encode every variant of the image in ``data`` the tutorial way (``keep`` receives the
    encoded bytes by object name)."""
    outputs = []
    for variant in variants:
        if variant.fit != "contain":
            raise ValueError("the tutorial handler supports only fit 'contain'")
        img = Image.open(io.BytesIO(data))
        if variant.resizes:
            img.thumbnail(bounding_box(variant))
        if variant.format == "JPEG" and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        buffer = io.BytesIO()
        if variant.format == "PNG":
            img.save(buffer, "PNG")
        else:
            img.save(buffer, variant.format, quality=variant.quality)
        if keep is not None:
            keep[variant.output_key(key)] = buffer.getvalue()
        outputs.append(
            Output(variant.output_key(key), variant.format, img.width, img.height, buffer.tell())
        )
    return outputs
