"""``python -m bench.animation_memory``: memory and time of an animated WebP per frame pixel.

Each case runs in a fresh process: an animated GIF of noisy frames is built, the process' resident
size taken as the baseline, then every frame is rendered into the ``_converted.webp`` variant
(:func:`function.animation.render_animated_webp`) and the peak RSS comes from ``getrusage``. The
figure the memory model needs is (peak - baseline) / (frames x pixels).
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import time

from PIL import Image

from bench.worker import current_rss_kb
from function.animation import render_animated_webp
from function.variant_spec import DEFAULT_VARIANTS

CASES = ((50, 400, 300), (200, 400, 300), (100, 800, 600), (400, 320, 240))
CONVERTED_WEBP = next(spec for spec in DEFAULT_VARIANTS if spec.format == "WEBP")


def animated_gif(frames: int, width: int, height: int) -> bytes:
    """A looping GIF of ``frames`` different noisy frames (hard to compress, like video)."""
    images = [
        Image.merge(
            "RGB",
            [Image.effect_noise((width, height), 30 + index % 40)] * 2
            + [Image.linear_gradient("L").resize((width, height)).rotate(index * 7)],
        ).convert("P", palette=Image.Palette.WEB, dither=Image.Dither.NONE)
        for index in range(frames)
    ]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=40, loop=0)
    return buffer.getvalue()


def measure_case(frames: int, width: int, height: int) -> dict[str, float]:
    """Render one case in this process and report its figures."""
    data = animated_gif(frames, width, height)
    baseline_kb = current_rss_kb()
    started = time.perf_counter()
    webp = render_animated_webp(data, CONVERTED_WEBP)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    frame_pixels = frames * width * height
    return {
        "frames": frames,
        "size": f"{width}x{height}",
        "frame_mpx": frame_pixels / 1e6,
        "peak_mb": (peak_kb - baseline_kb) / 1024,
        "bytes_per_frame_pixel": (peak_kb - baseline_kb) * 1024 / frame_pixels,
        "seconds": seconds,
        "ms_per_frame_mpx": seconds * 1000 / (frame_pixels / 1e6),
        "output_kb": len(webp.data) / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    """Run every case in its own process and print one line per case."""
    parser = argparse.ArgumentParser(prog="python -m bench.animation_memory")
    parser.add_argument("--case", nargs=3, type=int, metavar=("FRAMES", "WIDTH", "HEIGHT"))
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(measure_case(*args.case)))
        return
    print("frames  size      frame MP  peak MB  B/frame-px  seconds  ms/frame-MP  output KB")
    for case in CASES:
        command = [sys.executable, "-m", "bench.animation_memory", "--case", *map(str, case)]
        row = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
        print(
            f"{row['frames']:>6}  {row['size']:<8}  {row['frame_mpx']:>8.1f}"
            f"  {row['peak_mb']:>7.0f}"
            f"  {row['bytes_per_frame_pixel']:>10.2f}  {row['seconds']:>7.1f}"
            f"  {row['ms_per_frame_mpx']:>11.0f}  {row['output_kb']:>9.0f}"
        )


if __name__ == "__main__":
    main()
