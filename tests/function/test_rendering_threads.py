"""The PNG encode thread: when the memory size gives it, that its outputs are byte for byte the
single-threaded ones, that its failures reject the upload with nothing written, and that below two
vCPUs no thread is ever created."""

from __future__ import annotations

import concurrent.futures
import json
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ClassVar

import pytest
from PIL import Image, ImageCms

from function.decoding import decode
from function.png_writer import writes_itself
from function.rendering import draft_planner, render_variants
from function.settings import MB_PER_VCPU, load_settings, uses_encode_thread
from function.variant_spec import parse_variants
from tests.function.function_helpers import (
    PROCESSED,
    encode,
    event,
    linear_grey_profile,
    photo,
    processed_keys,
    upload,
)

THREADED_MB = "3538"  # two vCPUs
VARIANTS = [
    {"suffix": "big", "format": "JPEG", "quality": 85},
    {"suffix": "full", "format": "PNG"},
    {"suffix": "web", "format": "WEBP", "quality": 80},
    {"suffix": "small", "format": "PNG", "max_width": 64, "max_height": 64},
    {"suffix": "thumb", "format": "JPEG", "quality": 60, "max_width": 40, "max_height": 40},
]
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


class RecordingExecutor(ThreadPoolExecutor):
    """A real one-thread pool that records every instance, every submit and its future."""

    created: ClassVar[list[RecordingExecutor]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.futures: list[Future[Any]] = []
        RecordingExecutor.created.append(self)

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        self.futures.append(future)
        return future


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[RecordingExecutor]]:
    """Every ``ThreadPoolExecutor`` a handler loaded from now on creates."""
    monkeypatch.setattr(RecordingExecutor, "created", [])
    monkeypatch.setattr(concurrent.futures, "ThreadPoolExecutor", RecordingExecutor)
    yield RecordingExecutor.created
    for executor in RecordingExecutor.created:
        executor.shutdown()


def uploads() -> dict[str, bytes]:
    """One upload per colour case: RGB with ICC and EXIF, RGBA, L with a grey profile, and a
    palette image with transparency (Pillow's ``P`` mode)."""
    rgb = photo((300, 200))
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    rgba = photo((300, 200), "RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize((300, 200)))
    palette = photo((200, 150)).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    return {
        "rgb.jpg": encode(rgb, "JPEG", quality=92, icc_profile=SRGB, exif=exif.tobytes()),
        "rgba.png": encode(rgba, "PNG"),
        "grey.png": encode(photo((250, 180), "L"), "PNG", icc_profile=linear_grey_profile()),
        "palette.png": encode(palette, "PNG", transparency=3),
    }


def test_the_thread_needs_two_vcpus_by_memory_size():
    assert MB_PER_VCPU == 1769  # Lambda: one vCPU at 1769 MB, proportional to memory
    for memory_mb in (128, 1024, 1769, 3008, 2 * 1769 - 1):
        assert not uses_encode_thread(memory_mb), memory_mb
    for memory_mb in (2 * 1769, 5307, 10240):
        assert uses_encode_thread(memory_mb), memory_mb
    settings = {"PROCESSED_BUCKET": "b"}
    assert not load_settings(settings).encode_thread  # 1024 MB when the variable is absent
    threaded = load_settings({**settings, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": THREADED_MB})
    assert threaded.encode_thread


def test_writer_modes_are_the_only_ones_handed_to_a_thread():
    for mode in ("L", "LA", "RGB", "RGBA"):
        assert writes_itself(Image.new(mode, (3, 2)))
    for mode in ("P", "1", "I;16", "I", "CMYK"):
        assert not writes_itself(Image.new(mode, (3, 2)))


@pytest.mark.parametrize("keep_exif", [False, True])
@pytest.mark.parametrize("name", sorted(uploads()))
def test_rendering_with_the_thread_gives_the_same_bytes_in_the_same_order(name, keep_exif):
    variants = parse_variants(VARIANTS)
    data = uploads()[name]
    planner = draft_planner(variants)
    alone = render_variants(decode(data, 10**8, planner), variants, keep_exif=keep_exif)
    with RecordingExecutor(max_workers=1) as executor:
        threaded = render_variants(
            decode(data, 10**8, planner), variants, keep_exif=keep_exif, png_executor=executor
        )
    assert [r.spec for r in threaded] == list(variants)
    assert [(r.width, r.height) for r in threaded] == [(r.width, r.height) for r in alone]
    for single, parallel in zip(alone, threaded, strict=True):
        assert parallel.data == single.data, parallel.spec
    assert len(executor.futures) == 2  # both PNGs went to the thread


def test_handler_outputs_identical_at_1024_and_at_two_vcpus(s3, load_handler, recording):
    for name, data in uploads().items():
        upload(s3, name, data)
    names = sorted(uploads())
    env = {"VARIANTS": json.dumps(VARIANTS), "KEEP_EXIF": "true"}

    def outputs(memory_mb: str) -> dict[str, bytes]:
        for key in processed_keys(s3):  # else the complete sets are left as they are
            s3.delete_object(Bucket=PROCESSED, Key=key)
        handler = load_handler(AWS_LAMBDA_FUNCTION_MEMORY_SIZE=memory_mb, **env)
        result = handler.lambda_handler(event(*names), None)
        assert result["rejected"] == [] and len(result["processed"]) == len(names)
        return {
            key: s3.get_object(Bucket=PROCESSED, Key=key)["Body"].read()
            for key in processed_keys(s3)
            if not key.endswith("_manifest.json")  # its timings differ from run to run
        }

    single = outputs("1024")
    assert recording == []
    threaded = outputs(THREADED_MB)
    [executor] = recording
    assert len(executor.futures) == 2 * len(names)
    assert len(single) == len(VARIANTS) * len(names)
    assert threaded == single


def test_no_thread_is_created_below_two_vcpus(s3, load_handler, recording):
    upload(s3, "a.jpg", encode(photo((120, 90)), "JPEG"))
    threads_before = set(threading.enumerate())
    for memory_mb in ("1024", "3008"):
        handler = load_handler(AWS_LAMBDA_FUNCTION_MEMORY_SIZE=memory_mb)
        assert handler.PNG_EXECUTOR is None
        result = handler.lambda_handler(event("a.jpg"), None)
        assert len(result["processed"]) == 1
    assert recording == []
    assert set(threading.enumerate()) <= threads_before


def test_an_error_in_the_png_thread_rejects_the_upload_with_nothing_written(
    s3, load_handler, recording, monkeypatch
):
    handler = load_handler(AWS_LAMBDA_FUNCTION_MEMORY_SIZE=THREADED_MB)
    encoders = sys.modules[
        "function.encoders"
    ]  # the module the freshly loaded handler renders with
    failed_on: list[str] = []

    def broken_png(*_: Any, **__: Any) -> bytes:
        failed_on.append(threading.current_thread().name)
        raise MemoryError("PNG buffer")

    monkeypatch.setattr(encoders, "encode_png", broken_png)
    upload(s3, "x.jpg", encode(photo((80, 60)), "JPEG"))

    result = handler.lambda_handler(event("x.jpg"), None)

    [rejected] = result["rejected"]
    assert rejected["key"] == "x.jpg" and result["processed"] == []
    assert rejected["reason"] == "cannot render variants: MemoryError: PNG buffer"
    assert processed_keys(s3) == []
    assert len(failed_on) == 1 and failed_on[0].startswith("png-encode")
    [executor] = recording
    assert all(future.done() for future in executor.futures)


def test_a_main_thread_error_waits_for_the_png_thread(monkeypatch):
    variants = parse_variants(VARIANTS)
    decoded = decode(encode(photo((400, 300)), "PNG"), 10**8, draft_planner(variants))
    rendering = sys.modules["function.rendering"]
    real_encode = rendering.encode
    webp_failed = threading.Event()

    def encode_or_fail(image: Image.Image, image_format: str, *args: Any) -> bytes:
        if image_format == "WEBP":
            webp_failed.set()
            raise OSError("WebP encoder")
        if image_format == "PNG":
            webp_failed.wait(5)  # still encoding when the main thread fails
        return real_encode(image, image_format, *args)

    monkeypatch.setattr(rendering, "encode", encode_or_fail)
    with RecordingExecutor(max_workers=1) as executor:
        with pytest.raises(OSError, match="WebP encoder"):
            render_variants(decoded, variants, png_executor=executor)
        assert executor.futures and all(future.done() for future in executor.futures)
