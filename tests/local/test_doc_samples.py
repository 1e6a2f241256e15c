"""The sample outputs quoted in the docs: the deterministic ones match a fresh run of the current
code, and the generator rewrites only its marked blocks."""

from __future__ import annotations

from pathlib import Path

from local.demo_samples import sample_paths
from local.doc_samples import (
    DETERMINISTIC,
    blocks_in,
    demo_folder_scan,
    demo_sizes,
    doc_files,
    replace_blocks,
    smoke_missing,
    stale_blocks,
)
from tests.repo import REPO_ROOT

PAGE = """# Page
<!-- generated:demo-sizes -->
old table
<!-- /generated:demo-sizes -->
between
<!-- generated:smoke-pass -->
kept
<!-- /generated:smoke-pass -->
"""


def generated_blocks() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in doc_files(REPO_ROOT):
        found.update(blocks_in(path.read_text(encoding="utf-8")))
    return found


def test_the_samples_are_the_same_bytes_every_time_they_are_drawn(tmp_path: Path) -> None:
    first = [path.read_bytes() for path in sample_paths(tmp_path / "one")]
    second = [path.read_bytes() for path in sample_paths(tmp_path / "two")]
    assert first == second  # so a fresh clone's demo sizes are the docs' sizes


def test_the_demo_sizes_in_the_docs_are_those_of_a_fresh_run() -> None:
    fresh = demo_sizes()
    assert "| harbour-dusk.jpg | original | JPEG | 1200x800 |" in fresh  # upright
    assert "| | thumbnail.jpg | JPEG | 150x100 |" in fresh
    assert "| not-an-image.jpg | rejected: " in fresh
    assert generated_blocks()["demo-sizes"] == fresh, "run: python -m local.doc_samples"


def test_the_smoke_failure_ending_in_the_docs_is_current() -> None:
    assert generated_blocks()["smoke-missing"] == smoke_missing()


def test_the_folder_scan_in_the_docs_is_current() -> None:
    fresh = demo_folder_scan()
    assert "found 3 images in ~/Pictures/holiday (skipped 3: " in fresh
    assert generated_blocks()["demo-folder-scan"] == fresh


def test_every_deterministic_block_is_quoted_somewhere() -> None:
    assert set(DETERMINISTIC) <= set(generated_blocks())
    assert "smoke-pass" in generated_blocks()


def test_only_the_named_blocks_are_rewritten() -> None:
    assert blocks_in(PAGE) == {"demo-sizes": "old table\n", "smoke-pass": "kept\n"}
    updated = replace_blocks(PAGE, {"demo-sizes": "| new |\n"})
    assert blocks_in(updated) == {"demo-sizes": "| new |\n", "smoke-pass": "kept\n"}
    assert updated.replace("| new |\n", "old table\n") == PAGE


def test_stale_blocks_are_named_by_page(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE)
    assert stale_blocks([page], {"demo-sizes": "old table\n"}) == []
    assert stale_blocks([page], {"demo-sizes": "fresh\n"}) == ["page.md: demo-sizes"]
