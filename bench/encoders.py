"""Encoder study: ``python -m bench.encoders [--photos N]``.

On photos of the corpus (decoded once, pinned to one core) it times the full-size PNG encode for
every zlib level, ``optimize`` and the zlib strategies Pillow exposes (``compress_type``), and the
WebP encode for every ``method`` at quality 80, then prints the trade-off tables and the fastest
settings whose output stays within the byte budget. It also times three thumbnail paths (copy +
``thumbnail``, ``reduce`` + ``resize``, and a second ``draft`` decode) and whether encoding PNG and
WebP on two threads pays on one core versus two.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PIL import Image, ImageChops, ImageStat

from bench.corpus import Photo, load_corpus
from bench.stats import EncoderResult, fastest_within, ratio
from bench.table import format_table

ONE_CORE = {1}
BYTE_BUDGET = 1.10
THUMB_BOX = (150, 150)
ZLIB_STRATEGIES = {1: "Z_FILTERED", 2: "Z_HUFFMAN_ONLY", 3: "Z_RLE", 4: "Z_FIXED"}
PNG_DEFAULT = "level 6"
WEBP_DEFAULT = "method 4"


def png_settings() -> list[tuple[str, dict[str, Any]]]:
    """Every PNG setting studied, labelled; ``level 6`` is Pillow's default."""
    settings: list[tuple[str, dict[str, Any]]] = [
        (f"level {level}", {"compress_level": level}) for level in range(1, 10)
    ]
    settings.append(("optimize", {"optimize": True}))
    for level in (1, 6):
        for strategy, name in ZLIB_STRATEGIES.items():
            settings.append(
                (f"level {level} {name}", {"compress_level": level, "compress_type": strategy})
            )
    return settings


def webp_settings(quality: int = 80) -> list[tuple[str, dict[str, Any]]]:
    """WebP ``method`` 0..6 at ``quality``; ``method 4`` is Pillow's default."""
    return [(f"method {m}", {"quality": quality, "method": m}) for m in range(7)]


def encode(image: Image.Image, fmt: str, options: dict[str, Any]) -> tuple[float, bytes]:
    """CPU ms and bytes of one encode."""
    buffer = io.BytesIO()
    start = time.process_time()
    image.save(buffer, fmt, **options)
    return (time.process_time() - start) * 1000, buffer.getvalue()


def psnr(reference: Image.Image, encoded: bytes) -> float:
    """Peak signal-to-noise ratio (dB) of ``encoded`` against ``reference`` over all bands."""
    with Image.open(io.BytesIO(encoded)) as decoded:
        diff = ImageChops.difference(reference, decoded.convert(reference.mode))
    mse = sum(rms * rms for rms in ImageStat.Stat(diff).rms) / len(reference.getbands())
    return math.inf if mse == 0 else 10 * math.log10(255 * 255 / mse)


def study_format(
    images: Sequence[Image.Image], fmt: str, settings: list[tuple[str, dict[str, Any]]]
) -> tuple[list[EncoderResult], dict[str, float]]:
    """Totals over ``images`` per setting, and the mean PSNR per setting for lossy formats."""
    results, quality = [], {}
    for label, options in settings:
        total_ms, total_bytes, psnrs = 0.0, 0, []
        for image in images:
            ms, data = encode(image, fmt, options)
            total_ms += ms
            total_bytes += len(data)
            if fmt != "PNG":
                psnrs.append(psnr(image, data))
        results.append(EncoderResult(label, total_ms, total_bytes))
        if psnrs:
            quality[label] = sum(psnrs) / len(psnrs)
    return results, quality


def tradeoff_rows(
    results: Sequence[EncoderResult], default: str, quality: dict[str, float]
) -> list[list[object]]:
    """Table rows: setting, ms, bytes, and both relative to the default setting."""
    base = next(r for r in results if r.label == default)
    return [
        [
            r.label,
            r.ms,
            r.size,
            ratio(r.ms, base.ms),
            ratio(r.size, base.size),
            quality.get(r.label, math.nan),
        ]
        for r in results
    ]


def thumbnail_paths(data: bytes, decoded: Image.Image) -> dict[str, float]:
    """CPU ms of the ways to make the 150 px thumbnail, given the already decoded image."""

    def copy_thumbnail() -> None:
        copy = decoded.copy()
        copy.thumbnail(THUMB_BOX)

    def reduce_resize() -> None:
        factor = max(
            1, min(decoded.width // (2 * THUMB_BOX[0]), decoded.height // (2 * THUMB_BOX[1]))
        )
        reduced = decoded.reduce(factor)
        reduced.thumbnail(THUMB_BOX)

    def resize_gap() -> None:
        scale = min(THUMB_BOX[0] / decoded.width, THUMB_BOX[1] / decoded.height)
        size = (max(1, round(decoded.width * scale)), max(1, round(decoded.height * scale)))
        decoded.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)

    def draft_decode() -> None:
        with Image.open(io.BytesIO(data)) as again:
            again.thumbnail(THUMB_BOX)

    def full_decode() -> None:
        with Image.open(io.BytesIO(data)) as again:
            again.load()

    paths: dict[str, Callable[[], None]] = {
        "full decode (reference)": full_decode,
        "copy + thumbnail": copy_thumbnail,
        "reduce + thumbnail": reduce_resize,
        "resize(reducing_gap=2)": resize_gap,
        "draft re-decode + thumbnail": draft_decode,
    }
    return {label: _cpu_ms(fn) for label, fn in paths.items()}


def thread_study(
    image: Image.Image, png: dict[str, Any], webp: dict[str, Any]
) -> list[list[object]]:
    """Wall ms of the PNG and WebP encodes one after the other and on two threads, on 1 and 2
    cores (Lambda gives 1 vCPU at 1769 MB, ~0.58 at 1024 MB, 2 or more from 3008 MB)."""
    jobs = [("PNG", png), ("WEBP", webp)]
    rows: list[list[object]] = []
    original = os.sched_getaffinity(0)
    try:
        for cores in ({1}, {0, 1}):
            os.sched_setaffinity(0, cores)
            sequential = _wall_ms(lambda: [encode(image, f, o) for f, o in jobs])
            with ThreadPoolExecutor(max_workers=2) as pool:
                threaded = _wall_ms(lambda p=pool: list(p.map(lambda j: encode(image, *j), jobs)))
            rows.append([len(cores), sequential, threaded, ratio(sequential, threaded)])
    finally:
        os.sched_setaffinity(0, original)
    return rows


def _cpu_ms(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return (time.process_time() - start) * 1000


def _wall_ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def spread(photos: Sequence[Photo], count: int) -> list[Photo]:
    """``count`` photos evenly spread over the (size-sorted) corpus, largest always included."""
    if count >= len(photos):
        return list(photos)
    step = (len(photos) - 1) / max(1, count - 1)
    return [photos[round(i * step)] for i in range(count)] if count > 1 else [photos[-1]]


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=3, help="photos of the corpus to use")
    args = parser.parse_args()
    photos = spread(load_corpus(), args.photos)
    os.sched_setaffinity(0, ONE_CORE)
    print("Photos:", ", ".join(f"{p.name} ({p.megapixels:.1f} MP)" for p in photos))
    datas = [p.path.read_bytes() for p in photos]
    images = []
    for data in datas:
        image = Image.open(io.BytesIO(data))
        image.load()
        images.append(image.convert("RGB") if image.mode != "RGB" else image)

    headers = ["setting", "ms", "bytes", "x ms", "x bytes", "PSNR dB"]
    png, _ = study_format(images, "PNG", png_settings())
    print(f"\nFull-size PNG, totals over {len(images)} photos (one core)")
    print(format_table(headers, tradeoff_rows(png, PNG_DEFAULT, {}), 2))
    webp, webp_psnr = study_format(images, "WEBP", webp_settings())
    print(f"\nFull-size WebP q80, totals over {len(images)} photos (one core)")
    print(format_table(headers, tradeoff_rows(webp, WEBP_DEFAULT, webp_psnr), 2))

    png_pick = fastest_within(
        png, BYTE_BUDGET * next(r.size for r in png if r.label == PNG_DEFAULT)
    )
    webp_base = next(r for r in webp if r.label == WEBP_DEFAULT)
    webp_pick = fastest_within(
        [r for r in webp if webp_psnr[r.label] >= webp_psnr[WEBP_DEFAULT] - 0.1],
        BYTE_BUDGET * webp_base.size,
    )
    print(
        f"\nFastest PNG within +10% bytes of {PNG_DEFAULT}: {png_pick.label if png_pick else '-'}"
    )
    print(
        f"Fastest WebP within +10% bytes and -0.1 dB of {WEBP_DEFAULT}: "
        f"{webp_pick.label if webp_pick else '-'}"
    )

    largest, largest_data = images[-1], datas[-1]
    print(f"\nThumbnail paths on {photos[-1].name} (CPU ms, one core)")
    paths = thumbnail_paths(largest_data, largest)
    print(format_table(["path", "ms"], [[k, v] for k, v in paths.items()], 1))

    chosen_png = dict(png_settings())[png_pick.label] if png_pick else {}
    chosen_webp = dict(webp_settings())[webp_pick.label] if webp_pick else {"quality": 80}
    print(f"\nPNG + WebP encodes of {photos[-1].name}: sequential vs two threads (wall ms)")
    print(
        format_table(
            ["cores", "sequential", "2 threads", "speed-up"],
            thread_study(largest, chosen_png, chosen_webp),
            2,
        )
    )


if __name__ == "__main__":
    main()
