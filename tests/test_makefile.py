"""The make targets hand their variables to the tools intact: ``IMAGES`` unsplit (spaces and
non-ASCII names survive), ``OUTPUTS`` and ``QUICK`` as options. Each target runs for real with a
stand-in Python that records its arguments (and nothing is installed: the stamps are overridden).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.repo import REPO_ROOT

RECORDER = """import json, os, sys
print(json.dumps({"argv": sys.argv[1:], "IMAGES": os.environ.get("IMAGES")}))
"""


def run_make(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    recorder = tmp_path / "python"
    recorder.write_text(f"#!{sys.executable}\n{RECORDER}")
    recorder.chmod(0o755)
    result = subprocess.run(
        ["make", "--no-print-directory", "-s", *args, f"PY={recorder}", "STAMP=", "DEMO_STAMP="],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_demo_gets_images_unsplit_from_the_command_line_or_the_environment(tmp_path) -> None:
    text = "'~/Pictures/my photo ü.jpg' other.png"
    recorded = run_make(tmp_path, "demo", f"IMAGES={text}")
    assert recorded["argv"] == ["-m", "local.demo", "--images", text]
    assert run_make(tmp_path, "demo", env={"IMAGES": text})["argv"][-1] == text
    assert run_make(tmp_path, "demo", env={"IMAGES": ""})["argv"][-1] == ""


@pytest.mark.parametrize(
    ("target", "module"), [("smoke", "ops.smoke_test"), ("backfill", "ops.backfill")]
)
def test_ops_targets_take_a_stack_or_an_outputs_file(tmp_path, target, module) -> None:
    assert run_make(tmp_path, target)["argv"] == ["-m", module, "--stack", "dev"]
    assert run_make(tmp_path, target, "STACK=prod")["argv"] == ["-m", module, "--stack", "prod"]
    recorded = run_make(tmp_path, target, "OUTPUTS=out/my stack.json")
    assert recorded["argv"] == ["-m", module, "--outputs", "out/my stack.json"]


def test_backfill_passes_the_prefix(tmp_path) -> None:
    recorded = run_make(tmp_path, "backfill", "PREFIX=photos/2024 summer/")
    assert recorded["argv"][-2:] == ["--prefix", "photos/2024 summer/"]


def test_bench_quick_mode(tmp_path) -> None:
    assert run_make(tmp_path, "bench")["argv"] == ["-m", "bench"]
    assert run_make(tmp_path, "bench", "QUICK=1")["argv"] == ["-m", "bench", "--quick"]
    assert run_make(tmp_path, "bench-quick")["argv"] == ["-m", "bench", "--quick"]
