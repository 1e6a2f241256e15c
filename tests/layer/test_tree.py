"""The layer builder's pure parts: tree normalisation, the reproducible zip, ELF, tags, keys."""

import base64
import hashlib
import os
import sysconfig
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from layer.build import (
    BUILDER_VERSION,
    LayerBuild,
    LayerBuildError,
    cache_key,
    check_size,
    explain_pip_failure,
    pip_command,
    platform_tags,
)
from layer.elf import elf_architecture, elf_machine
from layer.tree import (
    base64_sha256,
    extract_zip,
    normalise_tree,
    strip_tree,
    tree_digest,
    tree_size,
    write_zip,
)


def make_tree(root: Path) -> Path:
    """A small site tree with a package, caches, tests and a console script."""
    package = root / "python" / "pkg"
    (package / "__pycache__").mkdir(parents=True)
    (package / "tests").mkdir()
    (root / "python" / "bin").mkdir()
    (package / "__init__.py").write_text("VALUE = 1\n")
    (package / "_native.so").write_bytes(b"\x7fELF" + bytes(60))
    (package / "_native.so").chmod(0o775)
    (package / "__pycache__" / "__init__.cpython-312.pyc").write_bytes(b"cache")
    (package / "stale.pyc").write_bytes(b"cache")
    (package / "tests" / "test_pkg.py").write_text("def test(): pass\n")
    (root / "python" / "bin" / "tool").write_text("#!/build/machine/python\n")
    return root


def test_strip_tree_removes_caches_tests_and_scripts(tmp_path):
    root = make_tree(tmp_path)
    strip_tree(root / "python")
    left = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    assert left == ["python", "python/pkg", "python/pkg/__init__.py", "python/pkg/_native.so"]


def test_same_tree_written_at_different_times_gives_the_same_zip_bytes(tmp_path):
    first = make_tree(tmp_path / "a")
    second = make_tree(tmp_path / "b")
    os.utime(second / "python" / "pkg" / "__init__.py", (1_700_000_000, 1_700_000_000))
    (second / "python" / "pkg" / "__init__.py").chmod(0o600)
    for root in (first, second):
        strip_tree(root / "python")
        normalise_tree(root)
        write_zip(root, root.with_suffix(".zip"))
    first_zip = first.with_suffix(".zip").read_bytes()
    assert first_zip == second.with_suffix(".zip").read_bytes()
    assert tree_digest(first) == tree_digest(second)
    assert (
        base64_sha256(first.with_suffix(".zip"))
        == base64.b64encode(hashlib.sha256(first_zip).digest()).decode()
    )


def test_zip_holds_the_tree_with_fixed_dates_and_unix_modes(tmp_path):
    root = make_tree(tmp_path / "t")
    strip_tree(root / "python")
    normalise_tree(root)
    write_zip(root, tmp_path / "layer.zip")
    with zipfile.ZipFile(tmp_path / "layer.zip") as archive:
        infos = {info.filename: info for info in archive.infolist()}
        assert list(infos) == ["python/pkg/__init__.py", "python/pkg/_native.so"]
        assert archive.read("python/pkg/__init__.py") == b"VALUE = 1\n"
    assert {info.date_time for info in infos.values()} == {(1980, 1, 1, 0, 0, 0)}
    assert infos["python/pkg/__init__.py"].external_attr >> 16 == 0o100644
    assert infos["python/pkg/_native.so"].external_attr >> 16 == 0o100755
    assert (root / "python" / "pkg" / "__init__.py").stat().st_mtime == 315532800
    assert tree_size(root) == len(b"VALUE = 1\n") + 64


def test_extract_zip_restores_the_tree_exactly(tmp_path):
    root = make_tree(tmp_path / "t")
    strip_tree(root / "python")
    normalise_tree(root)
    write_zip(root, tmp_path / "layer.zip")
    extract_zip(tmp_path / "layer.zip", tmp_path / "opt")
    assert tree_digest(tmp_path / "opt") == tree_digest(root)
    assert (tmp_path / "opt" / "python" / "pkg" / "_native.so").stat().st_mode & 0o777 == 0o755


def test_tree_digest_changes_with_content(tmp_path):
    root = make_tree(tmp_path)
    before = tree_digest(root)
    (root / "python" / "pkg" / "__init__.py").write_text("VALUE = 2\n")
    assert tree_digest(root) != before


def test_normalise_refuses_symlinks(tmp_path):
    root = make_tree(tmp_path)
    (root / "python" / "link").symlink_to(root / "python" / "pkg")
    with pytest.raises(ValueError, match="symbolic links"):
        normalise_tree(root)


def test_elf_machine_reads_both_byte_orders():
    header = bytearray(20)
    header[:4] = b"\x7fELF"
    header[5] = 1
    header[18:20] = (183).to_bytes(2, "little")
    assert elf_machine(bytes(header)) == 183
    header[5] = 2
    header[18:20] = (62).to_bytes(2, "big")
    assert elf_machine(bytes(header)) == 62
    with pytest.raises(ValueError, match="not an ELF"):
        elf_machine(b"MZ" + bytes(18))


def test_elf_architecture_of_this_machines_pillow():
    imaging = next(Path(Image.__file__).parent.glob("_imaging.cpython-*.so"))
    machine = sysconfig.get_platform().rsplit("-", 1)[-1]
    assert elf_architecture(imaging) == {"x86_64": "x86_64", "aarch64": "arm64"}[machine]


def test_platform_tags_cover_manylinux_2_28_down_to_2014():
    tags = platform_tags("arm64")
    assert tags[0] == "manylinux_2_28_aarch64"
    assert "manylinux_2_17_aarch64" in tags
    assert tags[-1] == "manylinux2014_aarch64"
    assert all("aarch64" in tag for tag in tags)
    assert platform_tags("x86_64")[0] == "manylinux_2_28_x86_64"
    with pytest.raises(ValueError, match="unknown Lambda architecture"):
        platform_tags("aarch64")


def test_pip_command_targets_lambda_not_this_machine(tmp_path):
    command = pip_command(tmp_path / "requirements.txt", "arm64", tmp_path / "python")
    joined = " ".join(command)
    for part in (
        "--only-binary=:all:",
        "--require-hashes",
        "--no-compile",
        "--implementation cp",
        "--python-version 3.12",
        "--abi cp312",
        "--platform manylinux_2_28_aarch64",
        "--platform manylinux2014_aarch64",
        f"--target {tmp_path / 'python'}",
    ):
        assert part in joined
    assert "x86_64" not in joined


def test_cache_key_depends_on_every_input():
    base = cache_key("pillow==13.0.0\n", "x86_64", "3.12")
    assert base == cache_key("pillow==13.0.0\n", "x86_64", "3.12")
    assert (
        len(
            {
                base,
                cache_key("pillow==12.3.0\n", "x86_64", "3.12"),
                cache_key("pillow==13.0.0\n", "arm64", "3.12"),
                cache_key("pillow==13.0.0\n", "x86_64", "3.13"),
            }
        )
        == 4
    )
    assert BUILDER_VERSION


def test_pip_failures_are_explained():
    unreachable = (
        "ERROR: Could not find a version that satisfies pillow==13.0.0 (from versions: none)"
    )
    assert "unreachable (no network?)" in explain_pip_failure("arm64", unreachable)
    missing = (
        "ERROR: Could not find a version that satisfies x==1 (from versions: 0.9)\nNo matching"
    )
    message = explain_pip_failure("arm64", missing)
    assert "no binary wheel for CPython 3.12 on manylinux_2_28 aarch64" in message
    assert message.endswith("No matching")
    mismatch = "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE."
    assert "--hash" in explain_pip_failure("x86_64", mismatch)


def test_size_budget_is_enforced(tmp_path):
    build = LayerBuild(
        architecture="x86_64",
        key="k",
        directory=tmp_path,
        unzipped_bytes=20_000_000,
        zipped_bytes=7_000_000,
        tree_sha256="t",
        source_code_hash="h",
        from_cache=False,
        seconds=0.0,
    )
    check_size(build)
    with pytest.raises(LayerBuildError, match="budget"):
        check_size(LayerBuild(**{**build.__dict__, "unzipped_bytes": 200 * 1024 * 1024}))
    with pytest.raises(LayerBuildError, match="50 MB"):
        check_size(LayerBuild(**{**build.__dict__, "zipped_bytes": 60 * 1024 * 1024}))
