"""The demo's sample images, drawn with Pillow at first run and cached (no binaries in the repo).

Each sample exercises something the function must get right: a photo-like JPEG stored sideways
with an EXIF orientation (its variants must come out upright, 1200x800) and a capture time and
camera (its manifest reports them), the same photo as an iPhone stores it (HEIC, rotation in the
container), a PNG with an alpha channel and a space in its name (URL-encoded key in the event), a
palette GIF with transparency, an animated GIF (its WebP variant stays animated), and a file that
is not an image at all (the page shows it rejected, with the reason).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from pathlib import Path

import pillow_heif
from PIL import Image, ImageDraw, ImageFilter
from PIL.ExifTags import IFD, Base

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
# Bump the version when a sample changes so old caches are not reused.
CACHE_DIR = REPO_ROOT / ".cache" / "demo-samples-v3"
ORIENTATION_TAG = 0x0112
ROTATE_90_CW = 6  # EXIF orientation: display = stored pixels rotated 90 degrees clockwise
PHOTO_SIZE = (1200, 800)
SEED = 20240611


def harbour_photo() -> Image.Image:
    """A photo-like dusk scene (sky gradient, sun, hills, textured water with grain), upright."""
    width, height = PHOTO_SIZE
    rng = random.Random(SEED)  # noqa: S311 (drawing, not security)
    sky = Image.linear_gradient("L").resize((width, height))
    top, bottom = (38, 44, 110), (250, 160, 90)
    image = Image.merge(
        "RGB",
        [
            sky.point(lambda v, a=a, b=b: a + (b - a) * v // 255)
            for a, b in zip(top, bottom, strict=True)
        ],
    )
    draw = ImageDraw.Draw(image)
    draw.ellipse((760, 330, 900, 470), fill=(255, 214, 120))
    horizon = int(height * 0.62)
    for layer, colour in enumerate(((70, 60, 90), (45, 40, 70))):
        points = [(0, height)]
        for x in range(0, width + 40, 40):
            points.append((x, horizon - 60 + layer * 40 - rng.randint(0, 70)))
        points.append((width, height))
        draw.polygon(points, fill=colour)
    draw.rectangle((0, horizon, width, height), fill=(30, 50, 85))
    for _ in range(900):
        x, y = rng.randrange(width), rng.randrange(horizon, height)
        length = rng.randint(6, 40)
        shade = rng.randint(60, 200)
        draw.line((x, y, x + length, y), fill=(shade, shade // 2 + 40, 90), width=1)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    # Seeded grain (Image.effect_noise is not), so every clone draws the same bytes: uniform
    # noise around 128 with a standard deviation of about 18.
    noise = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    grain = noise.point(lambda v: 128 + (v - 128) // 4).convert("RGB")
    return Image.blend(image, grain, 0.08)


def write_sideways_jpeg(image: Image.Image, path: Path) -> None:
    """Save ``image`` as a camera would when held upright: pixels rotated, EXIF orientation 6."""
    stored = image.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = ROTATE_90_CW
    exif[Base.Make] = "Demo Optics"
    exif[Base.Model] = "Harbour 1"
    details = exif.get_ifd(IFD.Exif)
    details[Base.DateTimeOriginal] = "2024:06:11 20:45:00"
    details[Base.OffsetTimeOriginal] = "+01:00"
    stored.save(path, "JPEG", quality=92, exif=exif)


def write_sideways_heic(image: Image.Image, path: Path) -> None:
    """Save ``image`` as an iPhone does: HEIC with the rotation in the container (``irot``) and
    the EXIF orientation kept alongside (pillow-heif writes both)."""
    stored = image.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = ROTATE_90_CW
    pillow_heif.from_pillow(stored).save(path, quality=80, exif=exif.tobytes())


def spinner_frames(count: int = 12, size: int = 160) -> list[Image.Image]:
    """An arc turning round a ring, one palette frame per step."""
    frames = []
    for index in range(count):
        frame = Image.new("RGB", (size, size), (245, 245, 250))
        draw = ImageDraw.Draw(frame)
        draw.ellipse((16, 16, size - 16, size - 16), outline=(200, 205, 220), width=14)
        start = index * 360 // count
        draw.arc((16, 16, size - 16, size - 16), start, start + 90, fill=(40, 110, 230), width=14)
        frames.append(frame.convert("P", palette=Image.Palette.ADAPTIVE, colors=16))
    return frames


def write_spinner_gif(path: Path) -> None:
    """A looping animated GIF, 80 ms a frame and a longer pause on the last."""
    first, *rest = spinner_frames()
    durations = [80] * len(rest) + [400]
    first.save(path, "GIF", save_all=True, append_images=rest, duration=durations, loop=0)


def alpha_logo() -> Image.Image:
    """An RGBA badge on a fully transparent background, with a half-transparent ring."""
    image = Image.new("RGBA", (640, 480), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((120, 40, 520, 440), fill=(20, 140, 220, 128))
    draw.ellipse((190, 110, 450, 370), fill=(250, 250, 250, 255))
    draw.polygon([(260, 160), (260, 320), (400, 240)], fill=(230, 60, 80, 255))
    return image


def palette_gif() -> Image.Image:
    """A 16-colour palette image with a transparent index, as GIF stores it."""
    image = Image.new("P", (480, 320), 0)
    palette = [0, 0, 0]
    for index in range(1, 16):
        palette += [index * 16, 255 - index * 12, (index * 53) % 256]
    image.putpalette(palette)
    draw = ImageDraw.Draw(image)
    for index in range(1, 16):
        inset = index * 9
        draw.rectangle((inset, inset, 480 - inset, 320 - inset), fill=index)
    image.info["transparency"] = 0
    return image


def _save(image: Image.Image, path: Path, fmt: str) -> None:
    image.save(path, fmt)


SAMPLES: dict[str, Callable[[Path], None]] = {
    "harbour-dusk.jpg": lambda path: write_sideways_jpeg(harbour_photo(), path),
    "harbour-dusk-iphone.heic": lambda path: write_sideways_heic(harbour_photo(), path),
    "spinner.gif": write_spinner_gif,
    "badge with alpha.png": lambda path: _save(alpha_logo(), path, "PNG"),
    "palette.gif": lambda path: palette_gif().save(path, "GIF", transparency=0),
    "not-an-image.jpg": lambda path: path.write_bytes(
        b"\xff\xd8\xff\xe0 this is not really a JPEG: the demo shows it rejected\n"
    ),
}


def sample_paths(cache_dir: Path = CACHE_DIR) -> list[Path]:
    """Paths of the sample images, generating any that are missing into ``cache_dir``."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, write in SAMPLES.items():
        path = cache_dir / name
        if not path.is_file():
            partial = path.with_name(path.name + ".partial")
            write(partial)
            partial.replace(path)
            logger.info("generated sample %s", path)
        paths.append(path)
    return paths
