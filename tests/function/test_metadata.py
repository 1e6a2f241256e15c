"""function.metadata: EXIF kept without location."""

from __future__ import annotations

import io

from PIL import Image
from PIL.ExifTags import IFD, Base

from function.metadata import exif_without_location
from tests.function.function_helpers import encode

MIB = 1024 * 1024


def test_exif_without_location_keeps_camera_and_date_only():
    image = Image.new("RGB", (2, 2))
    exif = image.getexif()
    exif[Base.Make] = "Cam"
    exif[Base.Orientation] = 6
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = "2020:01:01 00:00:00"
    exif.get_ifd(IFD.GPSInfo)[2] = (1.0, 2.0, 3.0)
    reloaded = Image.open(io.BytesIO(encode(image, "JPEG", exif=exif.tobytes())))

    kept = Image.Exif()
    kept.load(exif_without_location(reloaded))

    assert kept[Base.Make] == "Cam"
    assert kept.get_ifd(IFD.Exif)[Base.DateTimeOriginal] == "2020:01:01 00:00:00"
    assert IFD.GPSInfo not in kept and Base.Orientation not in kept
    assert exif_without_location(Image.new("RGB", (1, 1))) is None
