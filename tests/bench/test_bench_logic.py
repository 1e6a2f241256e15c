"""The benchmark's own pure logic: medians, ratios, summaries, tables and corpus selection."""

from __future__ import annotations

import io
import math
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from bench.__main__ import parse_args, ratio_rows, target_lines, variant_labels
from bench.corpus import Photo, scan_jpegs, select_photos
from bench.encoder_study import (
    WRITER,
    deflate_study,
    deflaters,
    encode,
    jpeg_settings,
    png_settings,
    spread,
    summarize_settings,
    webp_settings,
)
from bench.stats import (
    EncoderResult,
    Measurement,
    fastest_within,
    measurement_from_report,
    median,
    per_photo_ratios,
    ratio,
    summarize,
)
from bench.table import format_cell, format_table
from bench.worker import measure
from function.png_writer import framed_strips


def photo(name: str, width: int, height: int) -> Photo:
    return Photo(Path("tree") / name, width, height, width * height // 10)


def test_median_and_ratio():
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert math.isnan(median([]))
    assert ratio(10.0, 4.0) == 2.5
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(math.nan, 2.0))


def test_measurement_from_report_takes_medians_and_labels_variants():
    report = {
        "impl": "tutorial",
        "photo": "a.jpg",
        "runs": [
            {"wall_ms": 30.0, "cpu_ms": 20.0},
            {"wall_ms": 10.0, "cpu_ms": 9.0},
            {"wall_ms": 20.0, "cpu_ms": 40.0},
        ],
        "baseline_rss_kb": 1024,
        "peak_rss_kb": 4096,
        "outputs": [
            {"name": "uploads/a_compressed.jpg", "size": 100},
            {"name": "uploads/a_converted.png", "size": 900},
        ],
    }
    m = measurement_from_report(report, variant_labels("a.jpg"))
    assert (m.wall_ms, m.cpu_ms) == (20.0, 20.0)
    assert (m.peak_rss_mb, m.extra_rss_mb) == (4.0, 3.0)
    assert m.variant_bytes == {"compressed.jpg": 100, "converted.png": 900}
    assert m.total_bytes == 1000
    assert math.isnan(m.s3_ms)


def test_variant_labels_cover_the_five_default_outputs():
    labels = variant_labels("dir.x/photo.jpeg")
    assert labels == {
        "uploads/dir.x/photo_compressed.jpg": "compressed.jpg",
        "uploads/dir.x/photo_low_quality.jpg": "low_quality.jpg",
        "uploads/dir.x/photo_converted.webp": "converted.webp",
        "uploads/dir.x/photo_converted.png": "converted.png",
        "uploads/dir.x/photo_thumbnail.jpg": "thumbnail.jpg",
    }


def measurement(impl: str, photo_name: str, cpu: float, size: int, rss: float) -> Measurement:
    return Measurement(impl, photo_name, cpu * 1.1, cpu, rss + 50, rss, {"v": size})


def test_summarize_and_per_photo_ratios():
    ms = [
        measurement("project", "a", 100.0, 1000, 10.0),
        measurement("tutorial", "a", 500.0, 1000, 20.0),
        measurement("project", "b", 300.0, 2200, 30.0),
        measurement("tutorial", "b", 900.0, 2000, 20.0),
        measurement("project", "c", 200.0, 500, 5.0),
    ]
    summary = summarize(ms)
    assert list(summary) == ["project", "tutorial"]
    assert summary["project"].cpu_ms == 200.0
    assert summary["tutorial"].cpu_ms == 700.0
    assert summary["project"].total_bytes == 1000
    speed = per_photo_ratios(ms, "project", "tutorial", "cpu_ms")
    assert speed == {"a": 5.0, "b": 3.0}
    sizes = per_photo_ratios(ms, "tutorial", "project", "total_bytes")
    assert sizes == pytest.approx({"a": 1.0, "b": 1.1})


def test_target_lines_report_met_and_missed():
    ms = [
        measurement("project", "a", 100.0, 1000, 10.0),
        measurement("tutorial", "a", 500.0, 1000, 20.0),
        measurement("pyvips", "a", 150.0, 1500, 30.0),
    ]
    text = "\n".join(target_lines(ms))
    assert "CPU speed-up vs tutorial: 5.00x (target >= 4x: met)" in text
    assert "CPU speed-up vs pyvips: 1.50x (target > 1x: met)" in text
    assert "moto S3 time taken out: 5.00x" in text  # no S3 time recorded
    ms[0] = replace(ms[0], s3_ms=37.5)
    assert "moto S3 time taken out: 8.00x" in "\n".join(target_lines(ms))
    ms[0] = measurement("project", "a", 200.0, 1200, 25.0)
    text = "\n".join(target_lines(ms))
    assert "CPU speed-up vs tutorial: 2.50x (target >= 4x: MISSED)" in text
    assert "total bytes vs tutorial: 1.20x (target <= 1.10x: MISSED)" in text
    assert "peak RSS over baseline vs tutorial: 1.25x (target <= 1.00x: MISSED)" in text


def test_ratio_rows_per_photo_and_median():
    ms = [
        measurement("project", "a", 100.0, 1100, 10.0),
        measurement("tutorial", "a", 500.0, 1000, 20.0),
        measurement("pyvips", "a", 150.0, 1500, 30.0),
        measurement("project", "b", 200.0, 900, 30.0),
        measurement("tutorial", "b", 600.0, 1000, 20.0),
        measurement("pyvips", "b", 100.0, 1500, 30.0),
    ]
    photos = [photo("a", 1000, 2000), photo("b", 3000, 2000)]
    headers, rows = ratio_rows(ms, photos)
    assert headers[:3] == ["photo", "MP", "CPU vs tutorial"]
    column = {h: [row[i] for row in rows] for i, h in enumerate(headers)}
    assert column["photo"] == ["a", "b", "median"]
    assert column["MP"] == ["2.0", "6.0", ""]
    assert column["CPU vs tutorial"] == ["5.00x", "3.00x", "4.00x"]
    assert column["CPU vs pyvips"] == ["1.50x", "0.50x", "1.00x"]
    assert column["bytes vs tutorial"] == ["1.10x", "0.90x", "1.00x"]
    assert column["+MB vs tutorial"] == ["0.50x", "1.50x", "1.00x"]
    without_vips = [m for m in ms if m.impl != "pyvips"]
    assert "CPU vs pyvips" not in ratio_rows(without_vips, photos)[0]


def test_fastest_within_budget_judges_the_median_photo():
    results = [
        EncoderResult("level 1", 10.0, 120, typical=1.20, worst=1.3),
        EncoderResult("level 2", 20.0, 105, typical=1.09, worst=1.2),
        EncoderResult("level 6", 50.0, 100),
        EncoderResult("level 3", 20.0, 103, typical=1.04, worst=1.3),
        EncoderResult("rle", 5.0, 101, typical=1.11, worst=1.12),
    ]
    assert fastest_within(results, 1.10).label == "level 3"
    assert fastest_within(results, 1.05).label == "level 3"
    assert fastest_within(results, 1.11).label == "rle"
    assert fastest_within(results, 0.99) is None


def test_summarize_settings_totals_median_and_worst_ratio():
    per_photo = {
        "level 6": [(100.0, 1000), (300.0, 4000), (50.0, 100)],
        "level 1": [(20.0, 1100), (60.0, 4040), (10.0, 150)],
    }
    results = {r.label: r for r in summarize_settings(per_photo, "level 6")}
    assert results["level 6"] == EncoderResult("level 6", 450.0, 5100, 1.0, 1.0)
    assert results["level 1"].ms == 90.0
    assert results["level 1"].size == 5290
    assert results["level 1"].typical == pytest.approx(1.10)
    assert results["level 1"].worst == pytest.approx(1.50)


def test_format_table_aligns_and_renders_nan():
    text = format_table(["name", "ms"], [["a", 1234.5], ["long name", math.nan]], digits=1)
    lines = text.splitlines()
    assert lines[0] == "name            ms"
    assert lines[1] == "---------  -------"
    assert lines[2] == "a          1,234.5"
    assert lines[3] == "long name        -"
    assert format_cell(1234567) == "1,234,567"
    assert format_cell(True) == "True"
    with pytest.raises(ValueError, match="expected 2"):
        format_table(["a", "b"], [["only one"]])


def test_select_photos_spreads_sizes_within_range_and_skips_artwork():
    listing = [
        photo("tiny.jpg", 1000, 1000),  # 1 MP: below the range
        photo("huge.jpg", 8000, 6000),  # 48 MP: above it
        photo("art.jpg", 4000, 3000),  # excluded by name
        *(photo(f"p{mp:02d}.jpg", 1000, mp * 1000) for mp in range(2, 21)),
    ]
    chosen = select_photos(listing, count=4, exclude=frozenset({"art.jpg"}))
    names = [p.name for p in chosen]
    # log-spaced targets 2, 4.3, 9.3, 20 MP: nearest candidates.
    assert names == ["p02.jpg", "p04.jpg", "p09.jpg", "p20.jpg"]
    assert chosen == select_photos(list(reversed(listing)), 4, exclude=frozenset({"art.jpg"}))


def test_select_photos_small_pools_and_ties():
    listing = [photo("b.jpg", 2000, 1500), photo("a.jpg", 1500, 2000), photo("c.jpg", 4000, 3000)]
    assert [p.name for p in select_photos(listing, 5)] == ["a.jpg", "b.jpg", "c.jpg"]
    assert [p.name for p in select_photos(listing, 1)] == ["c.jpg"]
    # a and b are both 3 MP: the tie goes to the smaller path, whichever order they come in.
    assert [p.name for p in select_photos(listing, 2)] == ["a.jpg", "c.jpg"]
    assert [p.name for p in select_photos(listing[::-1], 2)] == ["a.jpg", "c.jpg"]
    with pytest.raises(ValueError):
        select_photos(listing, 0)


def test_scan_jpegs_reads_sizes_and_ignores_other_files(tmp_path):
    (tmp_path / "sub").mkdir()
    Image.new("RGB", (64, 48), "red").save(tmp_path / "sub" / "one.jpg")
    Image.new("RGB", (32, 16), "blue").save(tmp_path / "two.JPEG", "JPEG")
    Image.new("RGB", (8, 8)).save(tmp_path / "three.png")
    photos = scan_jpegs(tmp_path)
    assert [(p.name, p.width, p.height) for p in photos] == [
        ("one.jpg", 64, 48),
        ("two.JPEG", 32, 16),
    ]
    assert all(p.size == p.path.stat().st_size for p in photos)


def test_spread_keeps_ends():
    photos = [photo(f"{i}.jpg", 1000, 2000 + i) for i in range(8)]
    assert [p.name for p in spread(photos, 3)] == ["0.jpg", "4.jpg", "7.jpg"]
    assert [p.name for p in spread(photos, 1)] == ["7.jpg"]
    assert spread(photos, 20) == photos


def test_encoder_settings_include_the_defaults_once():
    png = dict(png_settings())
    assert png["level 6"] == {"compress_level": 6}
    assert png["optimize"] == {"optimize": True}
    assert len(png) == len(png_settings())
    assert [label for label, _ in webp_settings()] == [f"method {m}" for m in range(7)]
    assert all(options["quality"] == 80 for _, options in webp_settings())
    assert dict(jpeg_settings())["default"] == {"quality": 85}


def test_measure_counts_runs_and_memory():
    calls = []

    def run():
        calls.append(bytearray(8 * 1024 * 1024))
        return []

    report = measure(run, 3)
    assert len(calls) == 3
    assert len(report["runs"]) == 3
    assert all(r["wall_ms"] >= 0 and r["cpu_ms"] >= 0 for r in report["runs"])
    assert report["peak_rss_kb"] >= report["baseline_rss_kb"] + 8 * 1024


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_png_writer_settings_are_the_function_writer_and_lossless(mode):
    image = Image.linear_gradient("L").resize((203, 131)).convert(mode)  # rows span two strips
    image.putpixel((7, 100), (255,) * len(image.getbands()) if mode != "L" else 255)
    writer = [(label, options) for label, options in png_settings() if WRITER in options]
    # three filters at four ISA-L levels, and the writer's own choice
    assert len(writer) == 13 and ("writer: chosen per image", {WRITER: None}) in writer
    sizes = set()
    for _, options in writer:
        ms, data = encode(image, "PNG", options)
        assert ms >= 0
        sizes.add(len(data))
        with Image.open(io.BytesIO(data)) as back:
            back.load()
            assert (back.format, back.mode, back.size) == ("PNG", mode, image.size)
            assert ImageChops.difference(back, image).getbbox() is None
    assert len(sizes) > 1  # the filters and levels really differ


def test_deflate_study_libraries_write_standard_zlib_streams():
    image = Image.linear_gradient("L").resize((203, 131)).convert("RGB")
    stream = b"".join(framed_strips(image, "up"))
    made = deflaters()
    assert {"zlib 1 Z_RLE", "zlib-ng 1 Z_RLE", "ISA-L 0", "ISA-L 3"} <= set(made)
    for make in made.values():
        deflate = make()
        assert zlib.decompress(deflate.compress(stream) + deflate.flush()) == stream
    results = {r.label: r for r in deflate_study([image])}
    assert set(results) == set(made)
    assert results["zlib 1 Z_RLE"].typical == 1.0
    assert all(r.size > 0 and r.ms >= 0 for r in results.values())


def test_quick_mode_is_a_small_preset_of_the_full_run():
    full = parse_args([])
    assert (full.photos, full.repeats, full.quick) == (8, 3, False)
    quick = parse_args(["--quick"])
    assert (quick.photos, quick.repeats, quick.quick) == (3, 1, True)
    assert quick.impls == full.impls  # every contender, fewer photos and runs
