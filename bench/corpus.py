"""The photo corpus: real camera photos from Debian wallpaper packages, fetched on first use.

``apt-get download`` fetches the packages into ``.cache/bench/debs``, ``dpkg -x`` unpacks them into
``.cache/bench/tree`` (never into ``/``) and :func:`select_photos` picks a deterministic spread of
sizes. Later runs reuse the cache and need no network.
"""

from __future__ import annotations

import logging
import math
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

log = logging.getLogger(__name__)

CACHE_DIR = Path(".cache/bench")
# Debian packages whose JPEGs include camera photos of 2-20 MP (checked with apt-cache show and
# dpkg -c on bookworm).
PACKAGES: tuple[str, ...] = (
    "lomiri-wallpapers-16.04",
    "lomiri-wallpapers-20.04",
    "mate-backgrounds",
)
# JPEGs in those packages that are artwork, renders, paintings or logos rather than photos.
NOT_PHOTOS: frozenset[str] = frozenset(
    {
        "Elephants.jpg",
        "Elephants_3840x2160.jpg",
        "Elephants_5640x3172.jpg",
        "Fossa_by_Jasper_Roks.jpg",
        "GreenTraditional.jpg",
        "Infinite-Sea_by_Aury88.jpg",
        "Painting-Colors_by__herobrine7gamer.jpg",
        "analogpattern_by_Peter_Nerlich.jpg",
        "umang_by_Abhishek_Mudgal.jpg",
    }
)
MIN_MEGAPIXELS = 2.0
MAX_MEGAPIXELS = 21.0
DEFAULT_COUNT = 8


@dataclass(frozen=True)
class Photo:
    """One JPEG of the corpus: its path and pixel size."""

    path: Path
    width: int
    height: int
    size: int

    @property
    def megapixels(self) -> float:
        """Pixel count in millions."""
        return self.width * self.height / 1e6

    @property
    def name(self) -> str:
        """File name without directory."""
        return self.path.name


def select_photos(
    candidates: Iterable[Photo],
    count: int = DEFAULT_COUNT,
    min_mp: float = MIN_MEGAPIXELS,
    max_mp: float = MAX_MEGAPIXELS,
    exclude: frozenset[str] = NOT_PHOTOS,
) -> list[Photo]:
    """Pick ``count`` photos spread evenly on a log scale of megapixels, smallest and largest
    included, from those within ``[min_mp, max_mp]`` and not in ``exclude``.

    Deterministic: ties go to the lexically smaller path. The result is sorted by size.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    pool = sorted(
        (p for p in candidates if p.name not in exclude and min_mp <= p.megapixels <= max_mp),
        key=lambda p: (p.megapixels, str(p.path)),
    )
    if len(pool) <= count:
        return pool
    if count == 1:
        return [pool[-1]]
    low, high = math.log(pool[0].megapixels), math.log(pool[-1].megapixels)
    targets = [low + (high - low) * i / (count - 1) for i in range(count)]
    chosen: list[Photo] = []
    for target in targets:
        remaining = [p for p in pool if p not in chosen]
        best = min(remaining, key=lambda p: (abs(math.log(p.megapixels) - target), str(p.path)))
        chosen.append(best)
    return sorted(chosen, key=lambda p: (p.megapixels, str(p.path)))


def scan_jpegs(root: Path) -> list[Photo]:
    """Every JPEG under ``root`` with its dimensions (headers only, nothing decoded)."""
    photos = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in (".jpg", ".jpeg") or not path.is_file():
            continue
        with Image.open(path) as image:
            width, height = image.size
        photos.append(Photo(path, width, height, path.stat().st_size))
    return photos


def fetch_packages(packages: Sequence[str], cache_dir: Path = CACHE_DIR) -> Path:
    """Download and unpack ``packages`` into ``cache_dir`` (once); return the unpacked tree."""
    debs, tree = cache_dir / "debs", cache_dir / "tree"
    debs.mkdir(parents=True, exist_ok=True)
    tree.mkdir(parents=True, exist_ok=True)
    updated = False
    for package in packages:
        if not list(debs.glob(f"{package}_*.deb")):
            log.info("downloading %s", package)
            result = _apt_download(package, debs)
            if result.returncode != 0 and not updated:
                log.info("apt-get download failed (%s); running apt-get update", result.stderr)
                subprocess.run(["apt-get", "update"], check=True, capture_output=True)
                updated = True
                result = _apt_download(package, debs)
            if result.returncode != 0:
                raise RuntimeError(f"apt-get download {package} failed: {result.stderr.strip()}")
        (deb,) = sorted(debs.glob(f"{package}_*.deb"))[-1:]
        marker = tree / f".{deb.name}.unpacked"
        if not marker.exists():
            subprocess.run(["dpkg", "-x", str(deb), str(tree)], check=True)
            marker.touch()
    return tree


def load_corpus(count: int = DEFAULT_COUNT, cache_dir: Path = CACHE_DIR) -> list[Photo]:
    """The benchmark corpus: fetched on first use, then read from the cache."""
    tree = fetch_packages(PACKAGES, cache_dir)
    photos = select_photos(scan_jpegs(tree), count)
    if not photos:
        raise RuntimeError(f"no photos of {MIN_MEGAPIXELS}-{MAX_MEGAPIXELS} MP under {tree}")
    return photos


def _apt_download(package: str, dest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", "download", package], cwd=dest, capture_output=True, text=True, check=False
    )
