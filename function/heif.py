"""HEIC/HEIF input through pi-heif, the decode-only build of pillow-heif (libheif + libde265).

Importing this module registers the ``HEIF`` opener with Pillow; :mod:`function.decoding` still
opens uploads with its own allowlist, so the opener is only consulted for the formats allowed.
libheif applies the container's rotation and mirroring (``irot``/``imir``) while decoding and
the plugin resets the EXIF orientation to 1, so the pixels come out upright exactly once; 10- and
12-bit images are scaled to 8 bits; an ICC profile is in ``info["icc_profile"]`` like JPEG's.
Thumbnails, depth maps and auxiliary images are never decoded.
"""

from __future__ import annotations

import pi_heif

HEIF_FORMAT = "HEIF"
# One decode thread: Lambda gives less than one vCPU below 1769 MB, and the memory model
# (function/settings.py) is measured for one image decoded at a time.
DECODE_THREADS = 1


def register_heif_opener() -> str:
    """Register pi-heif's opener with Pillow (primary image only, one thread); returns the
    format name Pillow gives HEIF files."""
    pi_heif.register_heif_opener(
        thumbnails=False, depth_images=False, aux_images=False, decode_threads=DECODE_THREADS
    )
    return HEIF_FORMAT


def libheif_version() -> str:
    """The version of the bundled libheif (for logs and reports)."""
    return pi_heif.libheif_version()
