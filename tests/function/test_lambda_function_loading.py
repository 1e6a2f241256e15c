"""The handler loads from the deployment archive exactly as Lambda loads it and depends only on
what Lambda provides; configuration errors fail at cold start naming the variable."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.packaging import FUNCTION_DIR, HANDLER, function_sources

# What the layer ships besides Pillow (boto3 and its own dependencies, which botocore and dateutil
# import, pinned in layer/requirements.txt; certifi only when installed: botocore falls back to its
# own CA bundle without it). ``__mp_main__`` is the interpreter's alias of ``__main__``.
RUNTIME_PACKAGES = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "certifi"}
)
INTERPRETER = frozenset({"__mp_main__"})
# Pillow, pi-heif (its package and its extension module) for HEIC/HEIF, and isal (ISA-L's
# deflate) for the PNG writer.
LAYER_PACKAGES = frozenset({"PIL", "pi_heif", "_pi_heif", "isal"})
ALLOWED_PLUGINS = frozenset(
    {
        "AvifImagePlugin",
        "BmpImagePlugin",
        "GifImagePlugin",
        "JpegImagePlugin",
        "PngImagePlugin",
        "TiffImagePlugin",
        "WebPImagePlugin",
        "PpmImagePlugin",  # imported by Pillow's preinit(); never consulted (formats= excludes it)
    }
)

LOAD_AS_LAMBDA = """
import importlib, json, sys
before = set(sys.modules)
sys.path.insert(0, sys.argv[1])
handler_module, _, handler_name = sys.argv[2].rpartition(".")
lambda_function = importlib.import_module(handler_module)
loaded = sorted(set(sys.modules) - before)
from function import decoding
reasons = []
for data in (b"%!PS-Adobe-3.0 EPSF-3.0\\n%%BoundingBox: 0 0 1 1\\n", b"8BPS\\x00\\x01" + bytes(30),
             b"\\x00\\x00\\x01\\x00\\x01\\x00" + bytes(40), b"P6\\n1 1\\n255\\n\\x00\\x00\\x00"):
    try:
        decoding.decode(data, 10_000)
    except decoding.InvalidImageError as exc:
        reasons.append(str(exc))
plugins = sorted(m[4:] for m in sys.modules if m.startswith("PIL.") and m.endswith("Plugin"))
print(json.dumps({"loaded": loaded, "plugins": plugins, "reasons": reasons,
                  "bucket": lambda_function.SETTINGS.processed_bucket,
                  "handler": callable(getattr(lambda_function, handler_name))}))
"""


def unpack_archive(root: Path) -> Path:
    """The function's deployment archive, unpacked under ``root`` as Lambda unpacks it."""
    for name, path in function_sources().items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return root


def run_cold_start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PROCESSED_"))}
    clean.update(env)
    task_root = unpack_archive(tmp_path / "task")
    return subprocess.run(
        [sys.executable, "-I", "-c", LOAD_AS_LAMBDA, str(task_root), HANDLER],
        capture_output=True,
        text=True,
        env=clean,
        timeout=120,
        check=False,
    )


def top_level(module: str) -> str:
    return module.split(".", 1)[0]


def test_handler_loads_as_lambda_loads_it_with_only_runtime_and_layer_imports(tmp_path):
    process = run_cold_start(tmp_path, PROCESSED_BUCKET="processed-bucket", AWS_REGION="eu-west-1")

    assert process.returncode == 0, process.stderr
    report = json.loads(process.stdout)
    assert report["handler"] and report["bucket"] == "processed-bucket"
    allowed = set(sys.stdlib_module_names) | RUNTIME_PACKAGES | LAYER_PACKAGES | INTERPRETER
    allowed |= {"function"}
    outside = sorted({top_level(m) for m in report["loaded"]} - allowed)
    assert outside == [], f"imports outside stdlib, the runtime and the layer: {outside}"
    assert {f"function.{m}" for m in ("lambda_function", "decoding", "rendering")} <= set(
        report["loaded"]
    )
    # EPS (Ghostscript), PSD, ICO and PPM were refused without their plugins parsing them.
    assert len(report["reasons"]) == 4
    assert all(reason.startswith("not a supported image") for reason in report["reasons"])
    assert set(report["plugins"]) <= ALLOWED_PLUGINS, report["plugins"]


def test_function_sources_import_only_stdlib_boto_the_layer_and_each_other():
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore", "function"} | LAYER_PACKAGES
    for path in sorted(FUNCTION_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert top_level(name) in allowed, f"{path.name} imports {name}"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "PROCESSED_BUCKET"),
        ({"PROCESSED_BUCKET": "b", "VARIANTS": '[{"suffix": "x", "format": "GIF"}]'}, "VARIANTS"),
        ({"PROCESSED_BUCKET": "b", "VARIANTS": "not json"}, "VARIANTS"),
        ({"PROCESSED_BUCKET": "b", "MAX_PIXELS": "-5"}, "MAX_PIXELS"),
        ({"PROCESSED_BUCKET": "b", "MAX_INPUT_BYTES": "lots"}, "MAX_INPUT_BYTES"),
        ({"PROCESSED_BUCKET": "b", "KEEP_EXIF": "maybe"}, "KEEP_EXIF"),
        ({"PROCESSED_BUCKET": "b", "WATERMARK": '{"text": "x", "position": "up"}'}, "WATERMARK"),
        ({"PROCESSED_BUCKET": "b", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, "MEMORY_SIZE"),
    ],
)
def test_bad_configuration_fails_at_cold_start_naming_the_variable(env, variable, tmp_path):
    process = run_cold_start(tmp_path, AWS_REGION="eu-west-1", **env)

    assert process.returncode != 0
    last_line = process.stderr.strip().splitlines()[-1]
    assert last_line.startswith("function.settings.ConfigError:") and variable in last_line, (
        last_line
    )
