"""function.budget: the budget derived from memory and timeout, and what it refuses."""

from __future__ import annotations

import pytest

from function.budget import (
    BYTES_PER_PIXEL,
    MAX_JPEG_SCANS,
    MAX_SEGMENTS,
    ResourceBudget,
    structure_problem,
)
from function.structure import Structure

MIB = 1024 * 1024


def test_budget_derives_memory_and_cpu_from_the_memory_size_and_timeout():
    budget = ResourceBudget(1024, 60)
    assert budget.memory_bytes == int(1024 * MIB * 0.9)
    assert budget.vcpus == pytest.approx(0.579, abs=0.001)  # one vCPU at 1769 MB
    assert budget.cpu_seconds == pytest.approx(60 * 1024 / 1769 * 0.75)
    assert "TIMEOUT_SECONDS=60 at 1024 MB = 0.58 vCPU" in budget.describe_cpu()
    room = int(1024 * MIB * 0.9) - 128 * MIB - 64 * MIB
    # memory binds at 60 s
    assert budget.max_pixels(64 * MIB, alpha=False) == room // BYTES_PER_PIXEL
    assert budget.max_pixels(64 * MIB, alpha=True) == room // 50
    short = ResourceBudget(1024, 5)  # CPU binds: 2.17 s at 450 ns a pixel
    assert short.max_pixels(64 * MIB, alpha=False) == int(short.cpu_seconds * 1e9 / 450)
    assert ResourceBudget(3008, 60).cpu_seconds > 2.9 * budget.cpu_seconds


def test_cost_counts_the_scans_beyond_a_usual_progression():
    budget = ResourceBudget(1024, 60)
    usual = Structure("JPEG", scans=10, blocks=500_000)
    assert budget.estimated_cpu_seconds(30_000_000, usual, alpha=False) == pytest.approx(13.5)
    many = Structure("JPEG", scans=90, blocks=1_500_000)  # 80 extra scans at 60 ns a block
    assert budget.estimated_cpu_seconds(30_000_000, many, alpha=False) == pytest.approx(20.7)
    assert budget.cost_problem(30_000_000, many, alpha=False) is None
    half = ResourceBudget(1024, 30)  # 13.0 s: a 20 MP 4:4:4 JPEG fits with 10 scans, not 99
    assert (
        half.cost_problem(20_000_000, Structure("JPEG", scans=10, blocks=937_500), alpha=False)
        is None
    )
    heavier = Structure("JPEG", scans=99, blocks=937_500)
    reason = half.cost_problem(20_000_000, heavier, alpha=False)
    assert reason is not None
    assert "20000000 pixels and 99 JPEG scans need an estimated 14.0 s of CPU" in reason
    assert "over the budget of 13.0 s (TIMEOUT_SECONDS=30 at 1024 MB" in reason
    assert budget.cost_problem(16_000_000, None, alpha=True) is None


@pytest.mark.parametrize(
    ("structure", "fragment"),
    [
        (Structure("PNG", segments=MAX_SEGMENTS + 1), "over 65536 segments"),
        (Structure("GIF", segments=5, capped=True), "over 65536 segments"),
        (Structure("PNG", metadata_bytes=16 * MIB + 1), "bytes of metadata, over the limit"),
        (Structure("JPEG", junk_bytes=70_000), "70000 junk bytes"),
        (Structure("JPEG", scans=MAX_JPEG_SCANS + 1), "101 scans, over the limit of 100"),
        (Structure("JPEG", coding="arithmetic"), "arithmetic-coded JPEG is not accepted"),
        (
            Structure("JPEG", scans=1, entropy_bytes=58, min_entropy_bytes=182_910),
            "JPEG scan data missing: 58 bytes of entropy-coded data where its declared frame "
            "needs at least 182910",
        ),
        (Structure("TIFF", data_units=5000, max_data_units=30), "5000 strips or tiles"),
        (Structure("TIFF", tag_values=300_000), "300000 values, over the limit"),
    ],
)
def test_structure_problems_name_the_limit(structure, fragment):
    reason = structure_problem(structure)
    assert reason is not None and fragment in reason


def test_ordinary_structures_pass():
    assert structure_problem(Structure("JPEG", segments=12, scans=10, entropy_bytes=9)) is None
    assert structure_problem(Structure("PNG", segments=8_192, metadata_bytes=3 * MIB)) is None
    assert structure_problem(Structure("TIFF", data_units=30, max_data_units=30)) is None
