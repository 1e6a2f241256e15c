"""What the demo uploads: the ``IMAGES`` text split into paths, folders searched recursively (pure
apart from reading the file tree).

``make demo IMAGES=...`` hands the text over unsplit; it is split like a shell command line, so a
path with spaces is quoted (``IMAGES="'my photo.jpg' other.png"``), and a text that names one
existing path as a whole needs no quotes at all. A folder gives every image under it, at any
depth; what is left out is reported with the reason.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from function.decoding import ALLOWED_FORMATS
from local.demo_samples import sample_paths

# How many skipped files a folder's summary names before it only counts the rest.
SKIPPED_SHOWN = 5
QUOTING_HINT = (
    "IMAGES is split like a shell command line: quote a path with spaces, "
    "IMAGES=\"'my photo.jpg' other.png\""
)


class UsageError(Exception):
    """A problem with the command line the user can fix (bad path, no images)."""


@dataclass(frozen=True)
class FolderScan:
    """The images found under one folder given on the command line, and what was skipped."""

    folder: str
    images: tuple[Path, ...]
    skipped: tuple[tuple[Path, str], ...]

    def summary(self) -> str:
        """``found 3 images in DIR (skipped 2: notes.txt not an image, ...)``."""
        noun = "image" if len(self.images) == 1 else "images"
        text = f"found {len(self.images)} {noun} in {self.folder}"
        if not self.skipped:
            return text
        shown = [f"{path} {reason}" for path, reason in self.skipped[:SKIPPED_SHOWN]]
        if len(self.skipped) > SKIPPED_SHOWN:
            shown.append(f"{len(self.skipped) - SKIPPED_SHOWN} more")
        return f"{text} (skipped {len(self.skipped)}: {', '.join(shown)})"


def split_images(text: str) -> list[str]:
    """The paths in ``text``: the whole text when it names an existing path, else its shell-like
    words (quotes group, ``~`` is expanded later)."""
    stripped = text.strip()
    if not stripped:
        return []
    if Path(stripped).expanduser().exists():
        return [stripped]
    try:
        return shlex.split(stripped)
    except ValueError as exc:
        raise UsageError(f"cannot split IMAGES {text!r}: {exc}; {QUOTING_HINT}") from exc


def image_extensions() -> frozenset[str]:
    """File extensions of the formats the function decodes (``.jpg``, ``.png``...)."""
    return frozenset(ext for ext, fmt in Image.EXTENSION.items() if fmt in ALLOWED_FORMATS)


def scan_folder(folder: Path, shown_as: str) -> FolderScan:
    """Every image file under ``folder`` at any depth, sorted by path; hidden files and folders,
    and files whose extension is not an image format the function decodes, are skipped."""
    extensions = image_extensions()
    images: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        for name in sorted(dirs):
            if name.startswith("."):
                skipped.append(((here / name).relative_to(folder), "hidden folder"))
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        for name in sorted(files):
            path = here / name
            relative = path.relative_to(folder)
            if name.startswith("."):
                skipped.append((relative, "hidden"))
            elif path.suffix.lower() not in extensions:
                skipped.append((relative, "not an image"))
            elif not path.is_file():
                skipped.append((relative, "not a regular file"))
            else:
                images.append(path)
    return FolderScan(shown_as, tuple(sorted(images)), tuple(skipped))


def collect_images(
    paths: Sequence[str], include_samples: bool
) -> tuple[list[Path], list[FolderScan]]:
    """The files to upload (samples first, then each path; a folder gives the images under it)
    and what each folder scan found.

    A file named on its own is uploaded whatever it holds (the function decides). Raises
    :class:`UsageError` for a path that does not exist, a folder without images, or nothing left.
    """
    images: list[Path] = sample_paths() if include_samples else []
    scans: list[FolderScan] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            scan = scan_folder(path, raw)
            if not scan.images:
                raise UsageError(f"no images to upload: {scan.summary()}")
            scans.append(scan)
            images.extend(scan.images)
        elif path.is_file():
            images.append(path)
        elif path.exists():
            raise UsageError(f"{raw!r} is neither a file nor a folder")
        else:
            hint = f" ({QUOTING_HINT})" if len(paths) > 1 else ""
            raise UsageError(f"no such file or folder: {raw!r}{hint}")
    if not images:
        raise UsageError("nothing to upload: give IMAGES or leave out --no-samples")
    return images, scans
