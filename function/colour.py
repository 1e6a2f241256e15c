"""Colour modes and ICC profiles: bring any decoded image to 8-bit L, LA, RGB or RGBA with a
matching profile, then derive what each encoder accepts.

Pure functions over Pillow images. Profiles are kept when they describe the pixels they travel
with (so colours do not shift); CMYK, and greyscale going to an RGB-only format, are converted
to sRGB through the source profile with LittleCMS.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageCms

logger = logging.getLogger(__name__)

Family = Literal["opaque", "native", "colour"]
# opaque: L or RGB, transparency flattened onto white (JPEG)
# native: L, LA, RGB or RGBA as decoded (PNG)
# colour: RGB or RGBA (WebP, AVIF)
FAMILY_BY_FORMAT: dict[str, Family] = {
    "JPEG": "opaque",
    "PNG": "native",
    "WEBP": "colour",
    "AVIF": "colour",
}
WORKING_MODES = frozenset({"L", "LA", "RGB", "RGBA"})
PROFILE_SPACE_BY_MODE = {"L": b"GRAY", "LA": b"GRAY", "RGB": b"RGB ", "RGBA": b"RGB "}
_DIRECT = {"1": "L", "La": "LA", "RGBa": "RGBA", "RGBX": "RGB"}
WHITE = {"L": 255, "RGB": (255, 255, 255)}
OPAQUE_MODE = {"LA": "L", "RGBA": "RGB"}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class ColourImage:
    """8-bit pixels in one of :data:`WORKING_MODES` and the ICC profile that describes them."""

    image: Image.Image
    icc_profile: bytes | None


def profile_space(icc_profile: bytes | None) -> bytes | None:
    """The colour-space signature of an ICC profile (``b"RGB "``, ``b"GRAY"``, ``b"CMYK"``...)."""
    if not icc_profile or len(icc_profile) < 20:
        return None
    return icc_profile[16:20]


def to_working(image: Image.Image) -> ColourImage:
    """Convert a decoded image of any mode to 8-bit L, LA, RGB or RGBA, once.

    Palette and tRNS transparency become alpha, an alpha channel that is opaque everywhere is
    dropped, 16-bit and 32-bit greyscale are rescaled (not clipped), CMYK goes to sRGB. The
    result carries no ``info``, so nothing from the source (EXIF, XMP, comments, text chunks)
    reaches an encoder by accident.
    """
    icc = image.info.get("icc_profile") or None
    space = profile_space(icc)
    mode = image.mode
    if mode == "CMYK":
        working = _cmyk_to_srgb(image, icc if space == b"CMYK" else None)
    elif mode in ("P", "PA") or (mode in ("L", "RGB") and "transparency" in image.info):
        working = image.convert(_with_alpha(image))
    elif mode in WORKING_MODES:
        working = image
    elif mode in _DIRECT:
        working = image.convert(_DIRECT[mode])
    elif mode.startswith("I") or mode == "F":
        working = _rescale_to_l(image)
    else:
        working = image.convert("RGB")
    if working.mode in OPAQUE_MODE and working.getchannel("A").getextrema()[0] == 255:
        working = working.convert(OPAQUE_MODE[working.mode])  # an alpha channel with no effect
    if PROFILE_SPACE_BY_MODE.get(working.mode) != profile_space(icc):
        icc = None
    working.info = {}
    return ColourImage(working, icc)


def for_family(source: ColourImage, family: Family) -> ColourImage:
    """The pixels an encoder of ``family`` takes; ``source`` itself when no conversion is needed."""
    mode = source.image.mode
    if family == "native":
        return source
    if family == "opaque":
        if mode in ("L", "RGB"):
            return source
        return ColourImage(_flatten_onto_white(source.image), source.icc_profile)
    if mode in ("RGB", "RGBA"):
        return source
    return _grey_to_rgb(source)


def _with_alpha(image: Image.Image) -> str:
    if image.has_transparency_data:
        return "RGBA" if image.mode != "L" else "LA"
    return "RGB"


def _flatten_onto_white(image: Image.Image) -> Image.Image:
    opaque_mode = OPAQUE_MODE[image.mode]
    background = Image.new(opaque_mode, image.size, WHITE[opaque_mode])
    background.paste(image, (0, 0), image)
    return background


def _grey_to_rgb(source: ColourImage) -> ColourImage:
    image = source.image
    alpha = image.getchannel("A") if image.mode == "LA" else None
    grey = image.getchannel("L") if alpha is not None else image
    rgb = _through_profile(grey, source.icc_profile, "RGB") if source.icc_profile else None
    if rgb is None:
        rgb = grey.convert("RGB")
    if alpha is not None:
        rgb.putalpha(alpha)
    return ColourImage(rgb, None)


def _cmyk_to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    converted = _through_profile(image, icc, "RGB") if icc else None
    return converted if converted is not None else image.convert("RGB")


def _through_profile(image: Image.Image, icc: bytes, output_mode: str) -> Image.Image | None:
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            image,
            profile,
            _SRGB,
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            outputMode=output_mode,
        )
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        logger.warning("unusable ICC profile, converting without it: %s", exc)
        return None
    assert converted is not None  # profileToProfile returns the image unless inPlace
    return converted


def _rescale_to_l(image: Image.Image) -> Image.Image:
    """Scale 16-bit, 32-bit integer or float greyscale to 8-bit by its range, not by clipping."""
    if image.mode.startswith("I;16"):
        return image.convert("I").point(lambda value: value / 257).convert("L")
    source = image if image.mode in ("I", "F") else image.convert("F")
    low, high = source.getextrema()
    if image.mode == "F" and low >= 0 and high <= 1:
        low, high = 0.0, 1.0
    elif low >= 0 and high <= 255:
        low, high = 0, 255
    elif low >= 0 and high <= 65535:
        low, high = 0, 65535
    span = float(high - low) or 1.0
    return source.point(lambda value: (value - low) * (255.0 / span)).convert("L")
