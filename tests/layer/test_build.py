"""The layer built for real by pip, for each Lambda architecture (needs the package index)."""

import importlib.util
import marshal
import os
import zipfile
from pathlib import Path

import pytest

from layer.build import REQUIREMENTS, LayerBuildError, build_layer, main
from layer.bytecode import bytecode_path
from layer.elf import elf_architecture
from layer.pins import installed_versions, read_pins
from layer.tree import base64_sha256

pytestmark = pytest.mark.network

ARCHITECTURES = ("x86_64", "arm64")
# Environment that leaves pip no index, no links, no config and no proxy to reach.
OFFLINE_ENV = {
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_NO_INDEX": "1",
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
    "PIP_FIND_LINKS": "",
    "PIP_RETRIES": "0",
    "PIP_DEFAULT_TIMEOUT": "2",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
}


@pytest.fixture(scope="module", params=ARCHITECTURES)
def twin_builds(request, tmp_path_factory):
    """Two independent cold builds of the same architecture, in separate caches."""
    architecture = request.param
    return tuple(
        build_layer(architecture, cache_root=tmp_path_factory.mktemp(f"cache-{architecture}"))
        for _ in range(2)
    )


def files_of(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def test_tree_has_pil_imaging_for_cp312_and_the_target_cpu(twin_builds):
    build = twin_builds[0]
    assert not build.from_cache
    pil = build.tree / "python" / "PIL"
    assert (pil / "Image.py").is_file()
    (imaging,) = pil.glob("_imaging.cpython-312-*-linux-gnu.so")
    cpu = {"x86_64": "x86_64", "arm64": "aarch64"}[build.architecture]
    assert imaging.name == f"_imaging.cpython-312-{cpu}-linux-gnu.so"
    assert elf_architecture(imaging) == build.architecture
    libraries = [p for p in (build.tree / "python").rglob("*.so*") if p.is_file()]
    assert len(libraries) > 5
    assert {elf_architecture(p) for p in libraries} == {build.architecture}


def test_tree_has_the_heif_decoder_for_the_target_cpu_and_no_gpl_encoder(twin_builds):
    build = twin_builds[0]
    python = build.tree / "python"
    cpu = {"x86_64": "x86_64", "arm64": "aarch64"}[build.architecture]
    (extension,) = python.glob("_pi_heif.cpython-312-*-linux-gnu.so")
    assert extension.name == f"_pi_heif.cpython-312-{cpu}-linux-gnu.so"
    bundled = sorted(p.name.split("-")[0] for p in (python / "pi_heif.libs").iterdir())
    assert bundled == ["libde265", "libheif"]
    assert {elf_architecture(p) for p in (python / "pi_heif.libs").iterdir()} == {
        build.architecture
    }
    assert not [p for p in python.rglob("*x265*")]  # pillow-heif's GPLv2 HEVC encoder


def test_tree_has_no_tests_or_scripts_and_one_unchecked_pyc_per_source(twin_builds):
    tree = twin_builds[0].tree
    python = tree / "python"
    names = [p.relative_to(tree).as_posix() for p in tree.rglob("*")]
    assert [n for n in names if {"tests", "test"} & set(n.split("/"))] == []
    sources = sorted(python.rglob("*.py"))
    assert len(sources) > 250  # Pillow, boto3, botocore, s3transfer, urllib3, dateutil...
    assert sorted(python.rglob("*.pyc")) == sorted(bytecode_path(p) for p in sources)
    assert [n for n in names if n.endswith(".pyo") or ".opt-" in n] == []
    assert not (tree / "python" / "bin").exists()
    assert {p.name for p in tree.iterdir()} == {"python"}
    for source in (python / "boto3" / "__init__.py", python / "PIL" / "Image.py"):
        header = bytecode_path(source).read_bytes()[:16]
        assert header[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, not checked
        assert header[8:16] == importlib.util.source_hash(source.read_bytes())
        code = marshal.loads(bytecode_path(source).read_bytes()[16:])
        assert code.co_filename == f"/opt/python/{source.relative_to(python).as_posix()}"


def test_layer_ships_exactly_the_pinned_sdk_and_pillow_the_tests_run_on(twin_builds):
    shipped = installed_versions([str(twin_builds[0].tree / "python")])
    pinned = read_pins(REQUIREMENTS)
    assert {"boto3", "botocore", "s3transfer", "urllib3", "pillow"} <= set(pinned)
    assert shipped == pinned
    tested = installed_versions()
    assert {name: tested.get(name) for name in shipped} == shipped


def test_two_builds_give_identical_trees_zips_and_hashes(twin_builds):
    first, second = twin_builds
    assert first.directory != second.directory
    assert files_of(first.tree) == files_of(second.tree)
    assert first.zip_path.read_bytes() == second.zip_path.read_bytes()
    assert first.tree_sha256 == second.tree_sha256
    assert first.source_code_hash == second.source_code_hash == base64_sha256(first.zip_path)


def test_zip_is_exactly_the_tree(twin_builds):
    build = twin_builds[0]
    with zipfile.ZipFile(build.zip_path) as archive:
        zipped = {name: archive.read(name) for name in archive.namelist()}
    assert zipped == files_of(build.tree)
    assert all(name.startswith("python/") for name in zipped)


def test_size_is_measured_and_well_under_lambdas_limit(twin_builds):
    build = twin_builds[0]
    assert build.unzipped_bytes == sum(len(data) for data in files_of(build.tree).values())
    assert build.zipped_bytes == build.zip_path.stat().st_size
    assert 30_000_000 < build.unzipped_bytes < 80 * 1024 * 1024  # Lambda allows 250 MB
    assert build.zipped_bytes < 35 * 1024 * 1024  # direct upload allows 50 MB


def test_cache_hit_runs_no_pip_and_needs_no_network(twin_builds, monkeypatch, tmp_path):
    cold = twin_builds[0]
    for name, value in OFFLINE_ENV.items():
        monkeypatch.setenv(name, value)
    # The same environment stops a build that has to run pip...
    with pytest.raises(LayerBuildError, match=f"building the Pillow layer for {cold.architecture}"):
        build_layer(cold.architecture, cache_root=tmp_path)
    # ...but not one the cache answers (its speed is the layer build's printed figure).
    warm = build_layer(cold.architecture, cache_root=cold.directory.parent)
    assert warm.from_cache
    assert warm.directory == cold.directory
    assert warm.source_code_hash == cold.source_code_hash
    assert warm.tree_sha256 == cold.tree_sha256


def test_modified_cached_tree_is_restored_from_its_zip_offline(twin_builds, monkeypatch):
    cold = twin_builds[1]
    cache = cold.tree / "python" / "PIL" / "__pycache__"
    (cache / "Image.cpython-312.pyc").write_bytes(b"rewritten by an import")
    (cache / "Image.cpython-312.opt-1.pyc").write_bytes(b"written by python -O")
    (cold.tree / "python" / "PIL" / "Image.py").write_text("edited")
    for name, value in OFFLINE_ENV.items():
        monkeypatch.setenv(name, value)
    warm = build_layer(cold.architecture, cache_root=cold.directory.parent)
    assert warm.from_cache
    assert not (cache / "Image.cpython-312.opt-1.pyc").exists()
    assert files_of(warm.tree) == files_of(twin_builds[0].tree)


def test_corrupt_cache_entry_is_rebuilt(twin_builds, tmp_path):
    cold = build_layer(twin_builds[0].architecture, cache_root=tmp_path)
    cold.zip_path.write_bytes(b"truncated")
    rebuilt = build_layer(cold.architecture, cache_root=tmp_path)
    assert not rebuilt.from_cache
    assert rebuilt.source_code_hash == twin_builds[0].source_code_hash


def test_a_version_without_a_wheel_stops_the_build_with_a_clear_error(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"pillow==0.0.1 --hash=sha256:{'0' * 64}\n")
    with pytest.raises(LayerBuildError, match=r"no binary wheel for CPython 3\.12") as failure:
        build_layer("arm64", requirements=requirements, cache_root=tmp_path / "cache")
    assert "pillow==0.0.1" in str(failure.value)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == []


def test_cli_builds_and_reports_the_layer(capsys):
    assert main(["--arch", "arm64"]) == 0
    build = build_layer("arm64")
    printed = capsys.readouterr().out
    assert f"code hash  {build.source_code_hash}" in printed
    assert f"{build.unzipped_bytes / 1e6:.1f} MB unzipped" in printed
    with pytest.raises(SystemExit):
        main(["--arch", "aarch64"])
