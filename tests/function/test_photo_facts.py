"""function.photo_facts: what the source says about itself, from real EXIF and ICC data."""

from __future__ import annotations

from PIL import Image

from function.decoding import decode
from function.photo_facts import Camera, Exposure, PhotoFacts, icc_description, photo_facts
from tests.function.function_helpers import encode, exif_photo, photo


def test_camera_photo_facts_are_read_and_gps_only_flagged():
    decoded = decode(exif_photo((40, 20), orientation=6), 10**7)

    facts = photo_facts(decoded.image, decoded.orientation)

    assert decoded.source_size == (20, 40)  # upright after orientation 6
    assert facts == PhotoFacts(
        taken_at="2024-06-01T14:30:05+02:00",
        camera=Camera("Canon", "EOS R5", "RF24-105mm F4 L IS USM"),
        exposure=Exposure(f_number=2.8, exposure_time=0.004, iso=400, focal_length_mm=50.0),
        orientation=6,
        icc_profile="sRGB built-in",
        gps_present=True,
    )
    assert "48" not in repr(facts)  # no coordinate is carried


def test_a_file_without_metadata_gives_nulls_never_guesses():
    decoded = decode(encode(photo((30, 20)), "PNG"), 10**7)

    facts = photo_facts(decoded.image, decoded.orientation)

    assert facts == PhotoFacts(None, Camera(), Exposure(), None, None, False)


def test_broken_values_are_null():
    image = Image.new("RGB", (4, 4))
    exif = image.getexif()
    exif[0x010F] = "\x00\x00"  # Make: only padding
    details = exif.get_ifd(0x8769)
    details[0x9003] = "2024:13:45 99:00:00"  # DateTimeOriginal: no such date
    details[0x829D] = (5, 0)  # FNumber: division by zero
    details[0x8827] = -3  # ISO: negative
    decoded = decode(encode(image, "JPEG", exif=exif), 10**7)

    facts = photo_facts(decoded.image, 9)

    assert facts.camera.make is None and facts.taken_at is None
    assert facts.exposure.f_number is None and facts.exposure.iso is None
    assert facts.orientation is None  # 9 is not an EXIF orientation
    assert icc_description(b"not a profile") is None
