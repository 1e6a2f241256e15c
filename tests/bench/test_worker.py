"""The worker processes end to end: the project's real handler (through moto S3), the tutorial
handler and libvips write the same five outputs for one small generated photo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.repo import REPO_ROOT as ROOT


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    image = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    ImageDraw.Draw(image).rectangle((100, 100, 400, 300), fill=(20, 120, 200))
    path = tmp_path_factory.mktemp("photos") / "garden.jpg"
    image.save(path, quality=90)
    return path


def run_worker(impl: str, photo: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.worker", impl, str(photo), "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def reports(photo) -> dict[str, dict]:
    return {impl: run_worker(impl, photo) for impl in ("project", "tutorial", "pyvips")}


def test_every_worker_reports_runs_and_memory(reports):
    for impl, report in reports.items():
        assert report["impl"] == impl
        assert report["photo"] == "garden.jpg"
        assert len(report["runs"]) == 2
        assert report["peak_rss_kb"] >= report["baseline_rss_kb"] > 0
    assert reports["project"]["s3_ms"] > 0


def test_same_names_formats_and_dimensions_as_the_project(reports):
    def shape(report):
        return [(o["name"], o["format"], o["width"], o["height"]) for o in report["outputs"]]

    project = shape(reports["project"])
    assert [name for name, *_ in project] == [
        "uploads/garden_compressed.jpg",
        "uploads/garden_low_quality.jpg",
        "uploads/garden_converted.webp",
        "uploads/garden_converted.png",
        "uploads/garden_thumbnail.jpg",
    ]
    assert project[-1][2:] == (150, 113) or project[-1][2:] == (150, 112)
    for impl in ("tutorial", "pyvips"):
        theirs = shape(reports[impl])
        assert theirs[:4] == project[:4], impl
        name, fmt, width, height = theirs[4]
        assert (name, fmt, width) == project[4][:3], impl
        assert abs(height - project[4][3]) <= 1, impl  # 480 * 150 / 640 = 112.5: either rounding
    assert all(o["size"] > 0 for r in reports.values() for o in r["outputs"])
