"""EXIF policy: outputs carry no EXIF by default; with ``KEEP_EXIF`` they keep camera, exposure
and date tags but never location (GPS), maker notes or the embedded thumbnail."""

from __future__ import annotations

from PIL import Image
from PIL.ExifTags import IFD, Base

DROPPED_BASE_TAGS = frozenset({IFD.GPSInfo, IFD.Exif, IFD.Interop, Base.Orientation})
DROPPED_EXIF_TAGS = frozenset({Base.MakerNote, IFD.Interop})


def exif_without_location(image: Image.Image) -> bytes | None:
    """EXIF of ``image`` rebuilt without GPS, maker notes, thumbnail or orientation (the pixels
    are already upright), or None when nothing is left. Call before the image's info is cleared.
    """
    source = image.getexif()
    kept = Image.Exif()
    for tag, value in source.items():
        if tag not in DROPPED_BASE_TAGS:
            kept[tag] = value
    exif_ifd = {
        tag: value
        for tag, value in source.get_ifd(IFD.Exif).items()
        if tag not in DROPPED_EXIF_TAGS
    }
    if exif_ifd:
        kept[IFD.Exif] = exif_ifd
    return kept.tobytes() if len(kept) else None
