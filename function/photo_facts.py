"""What a photo says about itself: capture time, camera, exposure, colour profile, and whether it
holds a location, read from the decoded image's EXIF and ICC profile (no I/O).

Only values the file states are reported; anything absent or unreadable is ``None``, never
guessed. GPS coordinates are never read out: only whether the file has them.
"""

from __future__ import annotations

import io
import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from PIL import Image, ImageCms
from PIL.ExifTags import GPS, IFD, Base

logger = logging.getLogger(__name__)

EXIF_DATETIME = "%Y:%m:%d %H:%M:%S"
OFFSET_PATTERN = re.compile(r"^[+-]\d{2}:\d{2}$")
ORIENTATIONS = range(1, 9)
GPS_COORDINATES = frozenset({GPS.GPSLatitude, GPS.GPSLongitude})


@dataclass(frozen=True)
class Camera:
    """The camera body and lens, as the EXIF names them."""

    make: str | None = None
    model: str | None = None
    lens: str | None = None


@dataclass(frozen=True)
class Exposure:
    """How the photo was exposed: f-number, exposure time in seconds, ISO, focal length."""

    f_number: float | None = None
    exposure_time: float | None = None
    iso: int | None = None
    focal_length_mm: float | None = None


@dataclass(frozen=True)
class PhotoFacts:
    """Facts extracted from one source image (the manifest's ``metadata``)."""

    taken_at: str | None
    camera: Camera
    exposure: Exposure
    orientation: int | None
    icc_profile: str | None
    gps_present: bool


def photo_facts(image: Image.Image, orientation: int | None) -> PhotoFacts:
    """The facts of a decoded ``image`` (read its EXIF before the image is rendered and closed);
    ``orientation`` is the EXIF orientation the decoder applied (the decoder removes the tag)."""
    exif = image.getexif()
    exif_ifd = exif.get_ifd(IFD.Exif)
    gps_ifd = exif.get_ifd(IFD.GPSInfo)
    return PhotoFacts(
        taken_at=_taken_at(
            exif_ifd.get(Base.DateTimeOriginal), exif_ifd.get(Base.OffsetTimeOriginal)
        ),
        camera=Camera(
            make=_text(exif.get(Base.Make)),
            model=_text(exif.get(Base.Model)),
            lens=_text(exif_ifd.get(Base.LensModel)),
        ),
        exposure=Exposure(
            f_number=_number(exif_ifd.get(Base.FNumber)),
            exposure_time=_number(exif_ifd.get(Base.ExposureTime)),
            iso=_iso(exif_ifd.get(Base.ISOSpeedRatings)),
            focal_length_mm=_number(exif_ifd.get(Base.FocalLength)),
        ),
        orientation=orientation if orientation in ORIENTATIONS else None,
        icc_profile=icc_description(image.info.get("icc_profile")),
        gps_present=bool(GPS_COORDINATES & set(gps_ifd)),
    )


def icc_description(profile: Any) -> str | None:
    """The description of an embedded ICC profile, or ``None`` when absent or unreadable."""
    if not isinstance(profile, bytes) or not profile:
        return None
    try:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(profile)))
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        logger.info("unreadable ICC profile: %s", exc)
        return None
    return _text(description)


def _taken_at(value: Any, offset: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    try:
        moment = datetime.strptime(text, EXIF_DATETIME)
    except ValueError:
        return None
    iso = moment.isoformat()
    offset_text = _text(offset)
    if offset_text and OFFSET_PATTERN.match(offset_text):
        return iso + offset_text
    return iso


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").strip()
    return cleaned or None


def _number(value: Any) -> float | None:
    if isinstance(value, tuple) and len(value) == 2:  # a raw (numerator, denominator) pair
        value = Fraction(*value) if value[1] else None
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(number) or number <= 0:  # 0/0 reads as NaN
        return None
    return round(number, 6)


def _iso(value: Any) -> int | None:
    if isinstance(value, tuple | list):
        value = value[0] if value else None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value
