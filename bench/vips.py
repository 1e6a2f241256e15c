"""libvips (pyvips) producing the same variants with its own defaults.

The upload is decoded once for the full-size variants; the bounded variant uses
``thumbnail_buffer``, libvips' shrink-on-load path. Encoders run with libvips' defaults apart from
the quality the spec names.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyvips

from bench.outputs import DEFAULT_VARIANTS, Output, VariantSpec, bounding_box

SUFFIXES = {"JPEG": ".jpg", "WEBP": ".webp", "PNG": ".png", "AVIF": ".avif"}


def process(
    data: bytes,
    key: str,
    variants: Sequence[VariantSpec] = DEFAULT_VARIANTS,
    keep: dict[str, bytes] | None = None,
) -> list[Output]:
    """Encode every variant of the image in ``data`` with libvips (``keep`` receives the encoded
    bytes by object name)."""
    image = pyvips.Image.new_from_buffer(data, "")
    outputs = []
    for variant in variants:
        if variant.resizes:
            width, height = bounding_box(variant)
            crop = "centre" if variant.fit == "cover" else "none"
            out = pyvips.Image.thumbnail_buffer(data, width, height=height, crop=crop)
        else:
            out = image
        options = {} if variant.quality is None else {"Q": variant.quality}
        encoded = out.write_to_buffer(SUFFIXES[variant.format], **options)
        if keep is not None:
            keep[variant.output_key(key)] = encoded
        outputs.append(
            Output(variant.output_key(key), variant.format, out.width, out.height, len(encoded))
        )
    return outputs
