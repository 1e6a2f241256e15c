"""The layer for this machine's CPU, loaded the way Lambda loads /opt/python (needs the index).

Pillow encodes, ISA-L deflates and boto3 builds a request (with a parameter newer than the
runtime's SDK) from the layer alone, in a bare Python 3.12.
"""

import json
import platform
import subprocess
import sys
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image

from layer.build import REQUIREMENTS, build_layer
from layer.pins import installed_versions, read_pins
from layer.tree import extract_zip, tree_digest

pytestmark = pytest.mark.network

# Run by a bare Python 3.12 with -I: only the standard library and the layer on sys.path.
LOAD_SCRIPT = """
import io, json, sys
layer, heic_path = sys.argv[1], sys.argv[2]
sys.path[:] = [layer] + [p for p in sys.path if p and "-packages" not in p]
import PIL
import pi_heif
from PIL import Image, features
pi_heif.register_heif_opener()
with Image.open(heic_path, formats=["HEIF"]) as heic:
    heic.load()
    heif = {"format": heic.format, "size": heic.size, "mode": heic.mode,
            "corner": heic.getpixel((0, 0)), "file": pi_heif.__file__}
image = Image.linear_gradient("L").convert("RGB").resize((96, 64))
encoded = {}
for name in ["JPEG", "PNG", "WEBP"] + (["AVIF"] if features.check("avif") else []):
    buffer = io.BytesIO()
    image.save(buffer, name)
    decoded = Image.open(io.BytesIO(buffer.getvalue()))
    decoded.load()
    encoded[name] = {"bytes": buffer.tell(), "format": decoded.format, "size": decoded.size}
import boto3, botocore
from botocore.stub import Stubber
client = boto3.client(
    "s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
)
with Stubber(client) as stub:
    stub.add_response("put_object", {"ETag": '"e"'}, {"Bucket": "b", "Key": "k", "Body": b"",
                                                     "IfNoneMatch": "*"})
    client.put_object(Bucket="b", Key="k", Body=b"", IfNoneMatch="*")
import zlib
import isal
from isal import isal_zlib
rows = image.tobytes() * 20
deflated = isal_zlib.compress(rows, 1)
print(json.dumps({
    "isal_file": isal.__file__,
    "isal_round_trip": zlib.decompress(deflated) == rows and len(deflated) < len(rows) // 10,
    "boto3": [boto3.__version__, boto3.__file__],
    "botocore": [botocore.__version__, botocore.__file__],
    "modules_outside_the_layer": sorted(
        name for name, module in sys.modules.items()
        if name.split(".")[0] in {"boto3", "botocore", "s3transfer", "jmespath", "dateutil",
                                  "six", "urllib3", "PIL", "isal"}
        and getattr(module, "__file__", None)
        and not module.__file__.startswith(layer)
    ),
    "pil_file": PIL.__file__,
    "version": PIL.__version__,
    "python": list(sys.version_info[:2]),
    "isolated": sys.flags.isolated,
    "sys_path": sys.path,
    "encoded": encoded,
    "heif": heif,
}))
"""


def python312() -> Path:
    """The base interpreter behind the project's virtualenv (Python 3.12, no site-packages)."""
    for candidate in (
        Path(sys.base_prefix) / "bin" / "python3.12",
        Path.home() / ".pyenv" / "versions" / "3.12.1" / "bin" / "python3.12",
    ):
        if candidate.is_file():
            return candidate
    raise AssertionError("no Python 3.12 interpreter found for the layer load test")


def this_architecture() -> str:
    return {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]


def test_python312_imports_pillow_pi_heif_isal_and_the_sdk_from_the_layer_alone(tmp_path):
    build = build_layer(this_architecture())
    opt = tmp_path / "opt"  # Lambda unpacks the layer's zip under /opt
    extract_zip(build.zip_path, opt)
    layer_python = opt / "python"
    script = tmp_path / "load_layer.py"
    script.write_text(LOAD_SCRIPT)
    # Encoded here by pillow-heif (the layer's decode-only build cannot): red, 80x48.
    heic = tmp_path / "red.heic"
    pillow_heif.from_pillow(Image.new("RGB", (80, 48), (220, 20, 20))).save(heic, quality=95)
    result = subprocess.run(
        [str(python312()), "-I", str(script), str(layer_python), str(heic)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["python"] == [3, 12]
    assert report["isolated"] == 1
    assert Path(report["pil_file"]).is_relative_to(layer_python)
    assert report["version"] == "13.0.0"
    # ISA-L's deflate (the PNG writer's) loads from the layer and writes standard zlib streams.
    assert Path(report["isal_file"]).is_relative_to(layer_python)
    assert report["isal_round_trip"] is True
    assert not [p for p in report["sys_path"] if "-packages" in p]
    assert report["modules_outside_the_layer"] == []
    tested = installed_versions()
    for name in ("boto3", "botocore"):
        version, file = report[name]
        assert Path(file).is_relative_to(layer_python)
        assert version == tested[name] == read_pins(REQUIREMENTS)[name]
    # The shipped byte-code was valid for this Python: the import wrote no new .pyc.
    assert tree_digest(opt) == build.tree_sha256
    expected = {"JPEG", "PNG", "WEBP"}
    if list((layer_python / "PIL").glob("_avif.cpython-312-*.so")):
        expected.add("AVIF")
    assert set(report["encoded"]) == expected
    heif = report["heif"]
    assert Path(heif["file"]).is_relative_to(layer_python)
    assert (heif["format"], heif["size"], heif["mode"]) == ("HEIF", [80, 48], "RGB")
    assert all(abs(a - b) <= 6 for a, b in zip(heif["corner"], (220, 20, 20), strict=True))
    for name, encoded in report["encoded"].items():
        assert encoded["format"] == name
        assert encoded["size"] == [96, 64]
        assert encoded["bytes"] > 0
