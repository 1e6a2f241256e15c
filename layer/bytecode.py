"""Compile a layer's Python sources to byte-code that Lambda's read-only /opt can use as is.

Lambda mounts a layer read-only, so Python cannot cache the byte-code it compiles: without
`.pyc` files every cold start compiles every module it imports (botocore's are many). The
files are hash-based and unchecked (PEP 552): valid whatever the timestamps Lambda gives the
unpacked files, identical from build to build, and naming `/opt/python/...` in tracebacks.
"""

import importlib.util
import py_compile
import sys
from pathlib import Path

# Where Lambda puts the layer's `python/` directory (what tracebacks should name).
LAMBDA_PYTHON_DIR = "/opt/python"
COMPILING_PYTHON = (3, 12)


def bytecode_path(source: Path) -> Path:
    """The `__pycache__/<name>.cpython-312.pyc` path Python 3.12 reads for `source`."""
    return Path(importlib.util.cache_from_source(str(source), optimization=""))


def compile_tree(python_dir: Path) -> int:
    """Write an unchecked hash-based `.pyc` next to every `.py` under `python_dir`; count them.

    Raises RuntimeError unless this is Python 3.12 (the magic number must be the runtime's),
    and py_compile.PyCompileError naming the file for a source that does not compile.
    """
    if sys.version_info[:2] != COMPILING_PYTHON:
        wanted, running = (".".join(map(str, v)) for v in (COMPILING_PYTHON, sys.version_info[:2]))
        raise RuntimeError(f"the layer's byte-code needs Python {wanted} to compile, not {running}")
    sources = sorted(python_dir.rglob("*.py"))
    for source in sources:
        relative = source.relative_to(python_dir).as_posix()
        py_compile.compile(
            str(source),
            cfile=str(bytecode_path(source)),
            dfile=f"{LAMBDA_PYTHON_DIR}/{relative}",
            doraise=True,
            optimize=0,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    return len(sources)
