"""The layer's byte-code: unchecked hash-based, deterministic, naming /opt/python in tracebacks."""

import importlib.util
import marshal
import py_compile

import pytest

import layer.bytecode
from layer.bytecode import bytecode_path, compile_tree


def make_site(root):
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (root / "module.py").write_text("def f():\n    return 2\n")
    return root


def test_every_source_gets_an_unchecked_hash_pyc_naming_opt_python(tmp_path):
    site = make_site(tmp_path / "python")
    assert compile_tree(site) == 2
    pyc = bytecode_path(site / "pkg" / "__init__.py")
    assert pyc == site / "pkg" / "__pycache__" / "__init__.cpython-312.pyc"
    data = pyc.read_bytes()
    assert data[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(data[4:8], "little") == 0b01  # hash-based, check_source off
    assert data[8:16] == importlib.util.source_hash(b"VALUE = 1\n")
    assert marshal.loads(data[16:]).co_filename == "/opt/python/pkg/__init__.py"
    assert sorted(p.name for p in site.rglob("*.pyc")) == [
        "__init__.cpython-312.pyc",
        "module.cpython-312.pyc",
    ]


def test_two_compilations_in_different_places_give_the_same_bytes(tmp_path):
    first = make_site(tmp_path / "a" / "python")
    second = make_site(tmp_path / "b" / "python")
    compile_tree(first)
    compile_tree(second)
    for name in ("pkg/__init__.py", "module.py"):
        assert bytecode_path(first / name).read_bytes() == bytecode_path(second / name).read_bytes()


def test_a_source_that_does_not_compile_is_named(tmp_path):
    site = make_site(tmp_path / "python")
    (site / "broken.py").write_text("def (:\n")
    with pytest.raises(py_compile.PyCompileError, match=r"broken\.py"):
        compile_tree(site)


def test_only_python_3_12_may_compile_the_layer(tmp_path, monkeypatch):
    monkeypatch.setattr(layer.bytecode, "COMPILING_PYTHON", (3, 13))
    with pytest.raises(RuntimeError, match=r"needs Python 3\.13 to compile, not 3\.12"):
        compile_tree(make_site(tmp_path / "python"))
    assert list(tmp_path.rglob("*.pyc")) == []
