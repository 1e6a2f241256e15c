"""Pure parts of the smoke test: the probe image, the variants it should produce, how to judge
each one, the wait schedule and the failure message."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from PIL import Image, ImageDraw

from function.variant_spec import VariantSpec

Size = tuple[int, int]
PROBE_SIZE: Size = (640, 480)
SIZE_TOLERANCE = 1  # pixels: rounding of the scaled size


def smoke_key(token: str, now: datetime | None = None) -> str:
    """A unique key under ``smoke/`` for one run: ``smoke/20260102T030405Z-<token>.jpg``."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"smoke/{stamp}-{token}.jpg"


def probe_image(size: Size = PROBE_SIZE) -> bytes:
    """A small JPEG with gradients and shapes (so every encoder has real content)."""
    width, height = size
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge(
        "RGB",
        (
            gradient,
            gradient.transpose(Image.Transpose.ROTATE_90).resize(size),
            gradient.point(lambda v: 255 - v),
        ),
    )
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (width // 4, height // 4, 3 * width // 4, 3 * height // 4), outline=(255, 255, 255), width=6
    )
    draw.rectangle((10, 10, width // 5, height // 5), fill=(200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def expected_size(spec: VariantSpec, source: Size) -> Size:
    """The size the function gives ``spec`` for a ``source``-sized upload: ``contain`` fits
    within the bounds keeping the aspect ratio, ``cover`` fills them exactly (cropping), and
    neither upscales (a too-small source is cropped to the bounds' shape)."""
    width, height = source
    if not spec.resizes:
        return source
    if spec.fit == "cover" and spec.max_width is not None and spec.max_height is not None:
        shrink = max(spec.max_width / width, spec.max_height / height, 1.0)
        return (
            max(1, min(width, round(spec.max_width / shrink))),
            max(1, min(height, round(spec.max_height / shrink))),
        )
    limits = [
        limit / extent
        for limit, extent in ((spec.max_width, width), (spec.max_height, height))
        if limit is not None
    ]
    scale = min(1.0, *limits)
    return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass(frozen=True)
class VariantResult:
    """What the smoke test found for one expected variant."""

    key: str
    spec: VariantSpec
    seconds: float | None = None
    bytes: int = 0
    size: Size | None = None
    format: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the variant appeared and passed every check."""
        return self.seconds is not None and not self.problems


def inspect_variant(
    *,
    key: str,
    spec: VariantSpec,
    body: bytes,
    content_type: str | None,
    source: Size,
    seconds: float,
) -> VariantResult:
    """Decode ``body`` and compare it with what ``spec`` promises for a ``source``-sized upload."""
    problems: list[str] = []
    size = fmt = None
    try:
        with Image.open(io.BytesIO(body)) as image:
            image.load()
            size, fmt = image.size, image.format
    except Exception as exc:  # any decoder error means the variant is broken
        problems.append(f"does not decode: {exc}")
    if fmt is not None and fmt != spec.format:
        problems.append(f"is {fmt}, expected {spec.format}")
    if content_type != spec.content_type:
        problems.append(f"has ContentType {content_type!r}, expected {spec.content_type!r}")
    want = expected_size(spec, source)
    if size is not None and any(
        abs(a - b) > SIZE_TOLERANCE for a, b in zip(size, want, strict=True)
    ):
        problems.append(f"is {size[0]}x{size[1]}, expected {want[0]}x{want[1]}")
    return VariantResult(key, spec, seconds, len(body), size, fmt, tuple(problems))


def backoff_delays(
    initial: float = 0.5, factor: float = 1.6, maximum: float = 5.0
) -> Iterator[float]:
    """Waits between polls: ``initial`` growing by ``factor`` up to ``maximum``, forever."""
    delay = initial
    while True:
        yield delay
        delay = min(maximum, delay * factor)


def missing_variants_message(
    *, missing: list[str], total: int, bucket: str, timeout: float, log_group: str, queue_url: str
) -> str:
    """What to tell the operator when variants never appeared, and where to look."""
    listing = "\n".join(f"  - s3://{bucket}/{key}" for key in missing)
    return (
        f"{len(missing)} of {total} variant(s) never appeared within {timeout:g}s:\n{listing}\n"
        f"The function did not write them. Look at its logs in CloudWatch log group {log_group}\n"
        f"  (aws logs tail {log_group} --since 15m)\n"
        f"and at the failure queue, where failed asynchronous invocations land:\n"
        f"  {queue_url}\n"
        f"  (aws sqs receive-message --queue-url {queue_url} --max-number-of-messages 10)"
    )


def format_report(upload_key: str, upload_seconds: float, results: list[VariantResult]) -> str:
    """One line per variant with its size, format and time to appear."""
    lines = [f"uploaded {upload_key} in {upload_seconds * 1000:.0f} ms"]
    for result in results:
        if result.seconds is None:
            lines.append(f"  MISSING {result.key}")
            continue
        status = "ok  " if result.ok else "FAIL"
        size = f"{result.size[0]}x{result.size[1]}" if result.size else "?"
        lines.append(
            f"  {status} {result.key} {result.format or '?'} {size} {result.bytes} B "
            f"after {result.seconds:.2f}s" + "".join(f"\n       {p}" for p in result.problems)
        )
    return "\n".join(lines)


def manifest_problems(
    manifest: dict | None,
    upload_key: str,
    upload_version: str | None,
    stored: dict[str, bytes],
) -> list[str]:
    """What is wrong with the probe's manifest, given the bytes ``stored`` under each expected
    variant key: absent, naming another source version, listing other keys, or a ``sha256``
    that does not match the stored bytes. Empty when it is right."""
    if manifest is None:
        return ["the manifest never appeared: the set was not completed"]
    source = manifest.get("source", {})
    problems = []
    if source.get("key") != upload_key or source.get("version_id") != upload_version:
        problems.append(
            f"the manifest names {source.get('key')} version {source.get('version_id')}, "
            f"expected {upload_key} version {upload_version}"
        )
    listed = {entry.get("key"): entry for entry in manifest.get("variants", [])}
    if set(listed) != set(stored):
        problems.append(f"the manifest lists {sorted(listed)}, expected {sorted(stored)}")
    for key, body in stored.items():
        entry = listed.get(key)
        if entry is not None and entry.get("sha256") != hashlib.sha256(body).hexdigest():
            problems.append(f"{key}: sha256 in the manifest does not match the stored bytes")
    return problems
