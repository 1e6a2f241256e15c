"""Rendering of the demo's results: the ``out/index.html`` page and the terminal summary (pure).

The page shows, for each upload, the original and every variant side by side with format,
dimensions, bytes and the time taken; rejected uploads with their reason. An inline script
writes into ``#image-check`` whether every ``<img>`` loaded (``naturalWidth > 0``), so a person
and a headless browser (``--dump-dom``) can both see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

# Formats a browser can show in an <img>; an original in another format (TIFF) is linked instead.
BROWSER_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "AVIF", "BMP"})


@dataclass(frozen=True)
class Picture:
    """One image file shown on the page, with what the handler reported about it."""

    label: str
    path: str  # relative to the page, with '/' separators
    format: str | None
    width: int | None
    height: int | None
    size_bytes: int


@dataclass(frozen=True)
class UploadResult:
    """One upload: processed (``variants`` filled), rejected (``reason``) or failed (``error``)."""

    key: str
    original: Picture
    variants: tuple[Picture, ...] = ()
    handler_ms: float | None = None
    wall_ms: float = 0.0
    reason: str | None = None
    error: str | None = None
    attempts: int = 1

    @property
    def status(self) -> str:
        """``processed``, ``rejected`` or ``failed``."""
        if self.error is not None:
            return "failed"
        return "rejected" if self.reason is not None else "processed"


def human_bytes(size: int) -> str:
    """``532 B``, ``12.3 KB``, ``4.5 MB`` (powers of 1024)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def dimensions(picture: Picture) -> str:
    """``1200 x 800``, or ``?`` when unknown."""
    if picture.width is None or picture.height is None:
        return "?"
    return f"{picture.width} x {picture.height}"


def render_page(results: Sequence[UploadResult], *, endpoint: str, variants: str) -> str:
    """The whole HTML page for ``results``; ``endpoint`` and ``variants`` describe the run."""
    processed = sum(result.status == "processed" for result in results)
    sections = "\n".join(_render_upload(result) for result in results)
    return _PAGE.format(
        summary=escape(
            f"{len(results)} uploads: {processed} processed, "
            f"{len(results) - processed} rejected or failed"
        ),
        endpoint=escape(endpoint),
        variants=escape(variants),
        sections=sections,
        style=_STYLE,
        script=_SCRIPT,
    )


def _render_upload(result: UploadResult) -> str:
    status = result.status
    head = (
        f'<h2><span class="badge {status}">{status}</span> {escape(result.key)}</h2>'
        f'<p class="meta">{escape(_timing(result))}</p>'
    )
    if status == "processed":
        figures = [_figure(result.original, None)]
        figures += [_figure(variant, result.original.size_bytes) for variant in result.variants]
        body = f'<div class="row">{"".join(figures)}</div>'
    else:
        message = result.reason if status == "rejected" else result.error
        body = (
            f'<p class="reason">{escape(message or "")}</p>'
            f'<p class="meta">original: <a href="{_href(result.original.path)}">'
            f"{escape(result.key)}</a>, {human_bytes(result.original.size_bytes)}</p>"
        )
    return f'<section class="upload {status}">{head}{body}</section>'


def _timing(result: UploadResult) -> str:
    parts = []
    if result.handler_ms is not None:
        parts.append(f"handler {result.handler_ms:.0f} ms")
    parts.append(f"event delivered and handled in {result.wall_ms:.0f} ms")
    if result.attempts > 1:
        parts.append(f"{result.attempts} attempts")
    return ", ".join(parts)


def _figure(picture: Picture, original_bytes: int | None) -> str:
    if picture.format is None or picture.format.upper() in BROWSER_FORMATS:
        image = (
            f'<a href="{_href(picture.path)}"><img src="{_href(picture.path)}" '
            f'alt="{escape(picture.label)}" loading="eager"></a>'
        )
    else:
        image = (
            f'<a class="nodisplay" href="{_href(picture.path)}">'
            f"{escape(picture.format)}: browsers cannot show it</a>"
        )
    ratio = ""
    if original_bytes:
        ratio = f" ({picture.size_bytes / original_bytes:.0%} of original)"
    caption = (
        f"<strong>{escape(picture.label)}</strong><br>"
        f"{escape(picture.format or '?')} · {dimensions(picture)}<br>"
        f"{human_bytes(picture.size_bytes)}{escape(ratio)}"
    )
    return f'<figure><div class="frame">{image}</div><figcaption>{caption}</figcaption></figure>'


def _href(path: str) -> str:
    return escape(quote(path, safe="/"), quote=True)


def summary_table(results: Sequence[UploadResult]) -> str:
    """A plain-text table of the run for the terminal, one line per upload."""
    rows = [("upload", "status", "variants", "source", "time", "detail")]
    for result in results:
        source = f"{result.original.format or '?'} {dimensions(result.original)}"
        detail = ""
        if result.status == "processed":
            sizes = sorted(variant.size_bytes for variant in result.variants)
            detail = f"{human_bytes(result.original.size_bytes)} -> " + _size_range(sizes)
        else:
            detail = (result.reason if result.status == "rejected" else result.error) or ""
            source = "-"
        rows.append(
            (
                result.key,
                result.status,
                str(len(result.variants)) if result.status == "processed" else "-",
                source,
                f"{result.wall_ms:.0f} ms",
                detail,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in [*widths, len(row[-1])]))
    return "\n".join(lines)


def _size_range(sizes: Sequence[int]) -> str:
    if not sizes:
        return "nothing"
    if sizes[0] == sizes[-1]:
        return human_bytes(sizes[0])
    return f"{human_bytes(sizes[0])} to {human_bytes(sizes[-1])}"


_STYLE = """
body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f6f7f9; }
h1 { margin: 0 0 .3rem; font-size: 1.5rem; }
.lead, .meta { color: #566; margin: .2rem 0; }
section.upload { background: #fff; border: 1px solid #dde; border-radius: 8px;
  padding: .8rem 1rem; margin: 1rem 0; }
section.rejected, section.failed { border-color: #e3a0a0; }
h2 { font-size: 1.1rem; margin: 0 0 .2rem; }
.badge { font-size: .75rem; text-transform: uppercase; padding: .1rem .45rem; border-radius: 4px;
  color: #fff; vertical-align: middle; }
.badge.processed { background: #2e7d4f; } .badge.rejected { background: #b23b3b; }
.badge.failed { background: #8a5a00; }
.reason { color: #8b1e1e; background: #fdf0f0; padding: .4rem .6rem; border-radius: 4px; }
.row { display: flex; flex-wrap: wrap; gap: .8rem; align-items: flex-start; margin-top: .5rem; }
figure { margin: 0; width: 180px; }
.frame { width: 180px; height: 130px; display: flex; align-items: center; justify-content: center;
  background: repeating-conic-gradient(#e4e6ea 0% 25%, #fff 0% 50%) 50% / 16px 16px;
  border: 1px solid #dde; }
.frame img { max-width: 180px; max-height: 130px; display: block; }
figcaption { font-size: .8rem; margin-top: .3rem; overflow-wrap: anywhere; }
#image-check { font-size: .9rem; padding: .4rem .6rem; border-radius: 4px; background: #eef; }
#image-check[data-status="ok"] { background: #e6f4ea; }
#image-check[data-status="broken"] { background: #fdecea; }
"""

_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (img) { return !(img.complete && img.naturalWidth > 0); })
    .map(function (img) { return img.getAttribute("src"); });
  var check = document.getElementById("image-check");
  check.setAttribute("data-total", String(images.length));
  check.setAttribute("data-loaded", String(images.length - broken.length));
  check.setAttribute("data-status", broken.length ? "broken" : "ok");
  check.textContent = broken.length
    ? broken.length + " of " + images.length + " images failed to load: " + broken.join(", ")
    : "All " + images.length + " images on this page loaded.";
});
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>image-pipeline: local demo</title>
<style>{style}</style>
</head>
<body>
<h1>image-pipeline: local demo</h1>
<p class="lead">{summary}. Every upload went to the embedded S3 endpoint ({endpoint})
and its S3 <code>ObjectCreated</code> event to the real handler,
<code>function/lambda_function.py</code>.</p>
<p class="meta">Variants: {variants}</p>
<p id="image-check" data-status="pending">Checking that every image loaded…</p>
{sections}
<script>{script}</script>
</body>
</html>
"""
