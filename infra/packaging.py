"""The function's deployment package: the ``function`` package's own ``.py`` sources and every
file under ``function/assets/`` (the watermark font and images), under ``function/`` at the
archive's root (Lambda imports ``function.lambda_function``), as a Pulumi AssetArchive."""

from __future__ import annotations

from pathlib import Path

import pulumi

FUNCTION_DIR = Path(__file__).resolve().parent.parent / "function"
# Lambda's handler setting: the package sits at the archive's root.
HANDLER = "function.lambda_function.lambda_handler"
EXCLUDED_DIRS = frozenset({"__pycache__", "tests", "test"})
# Data files the function reads at run time, packaged whatever their type.
ASSETS_DIR = "assets"
TEST_FILES = frozenset({"conftest.py"})


def function_sources(root: Path = FUNCTION_DIR) -> dict[str, Path]:
    """Map archive path (POSIX, ``<root's name>/...``) to file for every ``.py`` under ``root``
    and every file under ``root/assets``.

    Skips caches, bytecode, test directories and ``test_*.py`` / ``*_test.py`` / ``conftest.py``.
    Raises ``FileNotFoundError`` when there is nothing to package.
    """
    sources: dict[str, Path] = {}
    assets = sorted(p for p in (root / ASSETS_DIR).rglob("*") if p.is_file())
    for path in sorted([*root.rglob("*.py"), *assets]):
        relative = path.relative_to(root)
        if EXCLUDED_DIRS.intersection(relative.parts[:-1]) or _is_test_file(path.name):
            continue
        sources[f"{root.name}/{relative.as_posix()}"] = path
    if not sources:
        raise FileNotFoundError(f"no function sources (*.py) under {root}")
    return sources


def function_archive(root: Path = FUNCTION_DIR) -> pulumi.AssetArchive:
    """The function code as an AssetArchive of :func:`function_sources`."""
    return pulumi.AssetArchive(
        {name: pulumi.FileAsset(str(path)) for name, path in function_sources(root).items()}
    )


def _is_test_file(filename: str) -> bool:
    return filename.startswith("test_") or filename.endswith("_test.py") or filename in TEST_FILES
