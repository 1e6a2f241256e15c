"""What the demo uploads: ``IMAGES`` split like a shell command line (paths with spaces and
non-ASCII names), folders searched at any depth with what was skipped and why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from local.demo_inputs import (
    FolderScan,
    UsageError,
    collect_images,
    scan_folder,
    split_images,
)
from tests.repo import REPO_ROOT


def write_image(path: Path, fmt: str = "JPEG") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (60, 40), (200, 80, 40)).save(path, fmt)
    return path


def test_a_whole_text_naming_one_path_is_not_split(tmp_path: Path) -> None:
    photo = write_image(tmp_path / "my photo ü.jpg")
    assert split_images(f"  {photo} ") == [str(photo)]


def test_quoted_words_keep_their_spaces(tmp_path: Path) -> None:
    text = "'~/Pictures/my photo ü.jpg' \"other one.png\" plain.gif"
    assert split_images(text) == ["~/Pictures/my photo ü.jpg", "other one.png", "plain.gif"]
    assert split_images("   ") == []


def test_an_unbalanced_quote_is_a_usage_error_with_the_hint() -> None:
    with pytest.raises(UsageError, match=r"cannot split IMAGES.*quote a path with spaces"):
        split_images("'my photo.jpg other.png")


def test_folders_are_searched_at_any_depth_and_skips_are_reported(tmp_path: Path) -> None:
    root = tmp_path / "holiday"
    top = write_image(root / "b.jpg")
    deep = write_image(root / "2023" / "beach day" / "sea.png", "PNG")
    upper = write_image(root / "2023" / "UPPER.JPG")
    write_image(root / ".thumbs" / "b.jpg")
    (root / "notes.txt").write_text("not a picture")
    (root / ".DS_Store").write_bytes(b"\0")
    scan = scan_folder(root, "~/holiday")
    assert scan.images == (upper, deep, top)
    assert set(scan.skipped) == {
        (Path(".thumbs"), "hidden folder"),
        (Path(".DS_Store"), "hidden"),
        (Path("notes.txt"), "not an image"),
    }
    summary = scan.summary()
    assert summary.startswith("found 3 images in ~/holiday (skipped 3: ")
    assert "notes.txt not an image" in summary


def test_a_long_skip_list_is_cut_short() -> None:
    skipped = tuple((Path(f"{n}.txt"), "not an image") for n in range(8))
    summary = FolderScan("docs", (Path("a.jpg"),), skipped).summary()
    assert summary == (
        "found 1 image in docs (skipped 8: 0.txt not an image, 1.txt not an image, "
        "2.txt not an image, 3.txt not an image, 4.txt not an image, 3 more)"
    )


def test_files_named_on_their_own_are_uploaded_whatever_they_hold(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("the function decides")
    folder = tmp_path / "pics"
    photo = write_image(folder / "deep" / "a.jpg")
    images, scans = collect_images([str(notes), str(folder)], include_samples=False)
    assert images == [notes, photo]
    assert [scan.summary() for scan in scans] == [f"found 1 image in {folder}"]


def test_bad_paths_are_usage_errors_naming_them(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "readme.md").write_text("x")
    with pytest.raises(UsageError, match=r"no images to upload: found 0 images in .*readme.md"):
        collect_images([str(empty)], include_samples=False)
    with pytest.raises(UsageError, match=r"no such file or folder: '.*my' \(IMAGES is split"):
        collect_images([str(tmp_path / "my"), "photo.jpg"], include_samples=False)
    with pytest.raises(UsageError, match="nothing to upload"):
        collect_images([], include_samples=False)


def test_demo_takes_images_text_with_spaces_non_ascii_and_folders(tmp_path: Path) -> None:
    photo = write_image(tmp_path / "in" / "my photo ü.jpg")
    folder = tmp_path / "in" / "album"
    write_image(folder / "nested" / "deeper" / "ß.png", "PNG")
    (folder / "list.txt").write_text("skip me")
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "local.demo",
            "--no-samples",
            "--out",
            str(out),
            "--images",
            f"'{photo}' '{folder}'",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"found 1 image in {folder} (skipped 1: list.txt not an image)" in result.stdout
    assert (out / "processed" / "my photo ü_thumbnail.jpg").is_file()
    assert (out / "processed" / "ß_converted.webp").is_file()
