"""Normalise a layer tree and pack it into a byte-for-byte reproducible zip.

Lambda unpacks a layer's zip under /opt, so its `python/` directory lands at /opt/python, which
the Python runtime puts on sys.path. Everything here is deterministic: files in sorted order,
fixed timestamps and permissions, no byte-code caches, no tests.
"""

import base64
import hashlib
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

# 1980-01-01, the earliest time a zip entry can record; also used for the files on disk.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_EPOCH = 315532800
STRIPPED_DIRECTORIES = frozenset({"__pycache__", "tests", "test"})
STRIPPED_SUFFIXES = (".pyc", ".pyo")


def strip_tree(root: Path) -> None:
    """Remove byte-code caches, test suites and console scripts (`bin/`) under `root`."""
    for directory, subdirectories, files in os.walk(root):
        here = Path(directory)
        for name in list(subdirectories):
            if name in STRIPPED_DIRECTORIES or (here == root and name == "bin"):
                shutil.rmtree(here / name)
                subdirectories.remove(name)
        for name in files:
            if name.endswith(STRIPPED_SUFFIXES):
                (here / name).unlink()


def file_mode(path: Path) -> int:
    """The normalised permission bits of a file: 0o755 if executable at all, else 0o644."""
    return 0o755 if path.stat().st_mode & 0o111 else 0o644


def iter_files(root: Path) -> Iterator[Path]:
    """Every regular file under `root`, in a stable (sorted relative path) order."""
    files = [path for path in root.rglob("*") if path.is_file()]
    yield from sorted(files, key=lambda path: path.relative_to(root).as_posix())


def normalise_tree(root: Path) -> None:
    """Give every file and directory under `root` fixed permissions and timestamps."""
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_symlink():
            raise ValueError(f"{path}: symbolic links are not allowed in a layer")
        path.chmod(0o755 if path.is_dir() else file_mode(path))
        os.utime(path, (FIXED_EPOCH, FIXED_EPOCH))
    os.utime(root, (FIXED_EPOCH, FIXED_EPOCH))


def tree_size(root: Path) -> int:
    """Total bytes of the files under `root` (the layer's unzipped size)."""
    return sum(path.stat().st_size for path in iter_files(root))


def tree_digest(root: Path) -> str:
    """Hex SHA-256 over every file's relative path, mode and content."""
    digest = hashlib.sha256()
    for path in iter_files(root):
        relative = path.relative_to(root).as_posix()
        content = hashlib.sha256(path.read_bytes()).hexdigest()
        digest.update(f"{relative}\0{file_mode(path):o}\0{content}\n".encode())
    return digest.hexdigest()


def write_zip(root: Path, destination: Path) -> None:
    """Pack the files under `root` into `destination`, reproducibly (same tree, same bytes)."""
    with zipfile.ZipFile(destination, "w") as archive:
        for path in iter_files(root):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), FIXED_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so external_attr carries the permissions
            info.external_attr = (0o100000 | file_mode(path)) << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)


def extract_zip(source: Path, destination: Path) -> None:
    """Unpack a zip written by `write_zip` into `destination`, with its modes and fixed times."""
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            target = destination / info.filename
            if not target.resolve().is_relative_to(destination.resolve()):
                raise ValueError(f"{source}: entry {info.filename} escapes the destination")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            target.chmod((info.external_attr >> 16) & 0o777 or 0o644)
    normalise_tree(destination)


def base64_sha256(path: Path) -> str:
    """The file's base64-encoded SHA-256 (what Lambda reports as CodeSha256)."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
