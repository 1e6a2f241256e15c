"""The sharp contender: its job, its install's failures, and real runs of both settings (npm)."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import pytest
from PIL import Image

import bench.__main__ as bench_main
from bench.outputs import DEFAULT_VARIANTS
from bench.sharp_contender import (
    SHARP_OPTIONS,
    SharpUnavailableError,
    contender_job,
    install_sharp,
    node_binary,
    run_sharp,
)

FORMATS = {"jpg": "JPEG", "webp": "WEBP", "png": "PNG"}


def test_job_names_every_variant_as_the_handler_does():
    job = contender_job("sharp-fast", Path("photos/Boat.jpg"), 3)
    assert job["repeats"] == 3 and job["photo_name"] == "Boat.jpg"
    assert Path(job["photo"]).is_absolute()
    assert job["options"] == {"png": {"compressionLevel": 1}, "webp": {"effort": 0}}
    assert [v["name"] for v in job["variants"]] == [
        v.output_key("uploads/Boat.jpg") for v in DEFAULT_VARIANTS
    ]
    thumbnail = job["variants"][-1]
    assert (thumbnail["width"], thumbnail["height"], thumbnail["fit"]) == (150, 150, "contain")
    assert contender_job("sharp", Path("a.jpg"), 1)["options"] == {"png": {}, "webp": {}}
    with pytest.raises(ValueError, match="unknown sharp contender 'sharp-slow'"):
        contender_job("sharp-slow", Path("a.jpg"), 1)


def test_no_pinned_node_for_an_unknown_cpu():
    with pytest.raises(SharpUnavailableError, match="no pinned Node runtime for CPU 'riscv64'"):
        node_binary(Path("x"), "riscv64")


def test_install_without_npm_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr("bench.sharp_contender.shutil.which", lambda name: None)
    with pytest.raises(SharpUnavailableError, match="npm not found"):
        install_sharp(tmp_path / "sharp")
    assert not (tmp_path / "sharp" / ".installed").exists()


@pytest.mark.network
def test_install_failure_says_why(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "package.json").write_text('{"name": "broken", "dependencies": {"sharp": "0.35.5"}}')
    (source / "package-lock.json").write_text("{}")  # not a lock npm ci accepts
    (source / "contender.mjs").write_text("")
    with pytest.raises(SharpUnavailableError, match=r"npm ci in .* failed"):
        install_sharp(tmp_path / "sharp", source)


def test_bench_stops_with_an_error_when_sharp_cannot_be_had(monkeypatch, caplog):
    def unavailable() -> Path:
        raise SharpUnavailableError("npm not found: install it")

    monkeypatch.setattr(bench_main, "install_sharp", unavailable)
    monkeypatch.setattr(bench_main, "load_corpus", pytest.fail)  # never reached
    monkeypatch.setattr(sys, "argv", ["bench", "--impls", "sharp"])
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit) as stop:
        bench_main.main()
    assert stop.value.code == 1
    assert "sharp contender unavailable: npm not found" in caplog.text


@pytest.mark.network
def test_both_settings_write_the_five_variants(tmp_path):
    node = install_sharp()
    source = Image.radial_gradient("L").resize((400, 300)).convert("RGB")
    source.putpixel((10, 10), (250, 20, 30))
    photo = tmp_path / "upload.png"  # lossless source: the PNG must give its pixels back
    source.save(photo)
    sizes = {}
    for impl in SHARP_OPTIONS:
        out = tmp_path / impl
        out.mkdir()
        report = run_sharp(node, contender_job(impl, photo, 2, out_dir=out), None)
        assert report["impl"] == impl and report["photo"] == "upload.png"
        assert len(report["runs"]) == 2 and all(r["cpu_ms"] > 0 for r in report["runs"])
        assert report["peak_rss_kb"] >= report["baseline_rss_kb"] > 0
        assert report["versions"]["sharp"] == "0.35.5"
        names = [o["name"] for o in report["outputs"]]
        assert names == [v.output_key("uploads/upload.png") for v in DEFAULT_VARIANTS]
        for output in report["outputs"]:
            data = (out / Path(output["name"]).name).read_bytes()
            assert len(data) == output["size"]
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                assert image.format == FORMATS[output["name"].rsplit(".", 1)[1]]
                assert image.size == (output["width"], output["height"])
                if "thumbnail" in output["name"]:
                    assert image.size == (150, 113)  # fits 150 x 150, aspect kept
                else:
                    assert image.size == (400, 300)
                if image.format == "PNG":
                    assert image.convert("RGB").tobytes() == source.tobytes()
            sizes[impl, output["name"]] = output["size"]
    # The settings reach sharp: WebP effort 0 and PNG level 1 write different files than its
    # defaults; the JPEGs are the same settings in both.
    by_kind = {}
    for (impl, name), size in sizes.items():
        by_kind.setdefault(name, {})[impl] = size
    for name, pair in by_kind.items():
        if name.endswith((".webp", ".png")):
            assert pair["sharp"] != pair["sharp-fast"], name
        else:
            assert pair["sharp"] == pair["sharp-fast"], name
