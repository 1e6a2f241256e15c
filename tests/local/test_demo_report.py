"""The demo page and summary table, rendered from results (pure functions)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from local.demo_report import (
    Picture,
    UploadResult,
    human_bytes,
    render_page,
    summary_table,
)


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.links: list[str | None] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))
        if tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Collector:
    collector = Collector()
    collector.feed(page)
    return collector


PROCESSED = UploadResult(
    key="trip/<b>&co.jpg",
    original=Picture("original", "originals/trip/<b>&co.jpg", "JPEG", 1200, 800, 100_000),
    variants=(
        Picture(
            "compressed.jpg", "processed/trip/<b>&co_compressed.jpg", "JPEG", 1200, 800, 50_000
        ),
        Picture("thumbnail.jpg", "processed/trip/<b>&co_thumbnail.jpg", "JPEG", 150, 100, 2_048),
    ),
    handler_ms=123.4,
    wall_ms=130.0,
)
REJECTED = UploadResult(
    key="broken.jpg",
    original=Picture("original", "originals/broken.jpg", None, None, None, 59),
    wall_ms=12.0,
    reason="corrupt or truncated image",
)
FAILED = UploadResult(
    key="later.png",
    original=Picture("original", "originals/later.png", None, None, None, 10),
    wall_ms=900.0,
    error="ClientError: SlowDown",
    attempts=3,
)


def test_processed_upload_shows_original_and_every_variant_with_its_figures() -> None:
    page = render_page([PROCESSED], endpoint="http://127.0.0.1:1", variants="compressed (JPEG)")
    parsed = parse(page)
    assert [img["src"] for img in parsed.images] == [
        "originals/trip/%3Cb%3E%26co.jpg",
        "processed/trip/%3Cb%3E%26co_compressed.jpg",
        "processed/trip/%3Cb%3E%26co_thumbnail.jpg",
    ]
    text = " ".join(parsed.text)
    assert "trip/<b>&co.jpg" in text  # escaped in the HTML, shown literally
    assert "<b>&co" not in page
    for figure in ("JPEG · 1200 x 800", "97.7 KB", "48.8 KB (50% of original)", "150 x 100"):
        assert figure in text
    assert "2.0 KB (2% of original)" in text
    assert "handler 123 ms" in text
    assert "processed" in text


def test_rejected_and_failed_uploads_show_their_reason_and_no_image() -> None:
    page = render_page([REJECTED, FAILED], endpoint="e", variants="v")
    parsed = parse(page)
    assert parsed.images == []
    text = " ".join(parsed.text)
    assert "corrupt or truncated image" in text
    assert "ClientError: SlowDown" in text
    assert "3 attempts" in text
    assert parsed.links == ["originals/broken.jpg", "originals/later.png"]
    assert "2 uploads: 0 processed, 2 rejected or failed" in text


def test_an_original_browsers_cannot_show_is_linked_not_embedded() -> None:
    tiff = UploadResult(
        key="scan.tif",
        original=Picture("original", "originals/scan.tif", "TIFF", 10, 10, 500),
        variants=(Picture("web.webp", "processed/scan_web.webp", "WEBP", 10, 10, 100),),
        wall_ms=1.0,
    )
    parsed = parse(render_page([tiff], endpoint="e", variants="v"))
    assert [img["src"] for img in parsed.images] == ["processed/scan_web.webp"]
    assert "originals/scan.tif" in parsed.links


def test_page_carries_the_image_check_script() -> None:
    page = render_page([PROCESSED], endpoint="e", variants="v")
    assert re.search(r'<p id="image-check" data-status="pending">', page)
    assert "naturalWidth > 0" in page


def test_summary_table_has_one_aligned_line_per_upload() -> None:
    table = summary_table([PROCESSED, REJECTED, FAILED])
    lines = table.splitlines()
    assert lines[0].split() == ["upload", "status", "variants", "source", "time", "detail"]
    assert set(lines[1]) <= {"-", " "}
    body = lines[2:]
    assert len(body) == 3
    assert body[0].split()[1:6] == ["processed", "2", "JPEG", "1200", "x"]
    assert "97.7 KB -> 2.0 KB to 48.8 KB" in body[0]
    assert body[1].split()[1:3] == ["rejected", "-"]
    assert body[1].endswith("corrupt or truncated image")
    assert body[2].split()[1] == "failed"
    status_column = lines[0].index("status")
    assert all(
        line[status_column:].split()[0] in {"processed", "rejected", "failed"} for line in body
    )


def test_human_bytes() -> None:
    assert human_bytes(0) == "0 B"
    assert human_bytes(1023) == "1023 B"
    assert human_bytes(1536) == "1.5 KB"
    assert human_bytes(5 * 1024 * 1024) == "5.0 MB"


def test_summary_of_a_single_variant_gives_its_size_once() -> None:
    single = UploadResult(
        key="one.png",
        original=Picture("original", "originals/one.png", "PNG", 4, 4, 2048),
        variants=(Picture("small.webp", "processed/one_small.webp", "WEBP", 4, 4, 100),),
    )
    assert summary_table([single]).splitlines()[2].endswith("2.0 KB -> 100 B")
