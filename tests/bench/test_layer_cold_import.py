"""The cold-import benchmark's layouts: each variant holds the packages it claims to."""

import pytest

from bench.layer_cold_import import HANDLER_MODULE, prepare, sdk_entries, zipped_bytes
from infra.packaging import HANDLER
from layer.build import build_layer
from layer.bytecode import bytecode_path

pytestmark = pytest.mark.network  # builds the layer (or takes it from .cache/layers)


@pytest.fixture(scope="module")
def layer_python():
    return build_layer("x86_64").tree / "python"


def test_sdk_entries_are_the_sdks_top_level_names_not_pillows(layer_python):
    entries = sdk_entries(layer_python)
    assert {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"} <= set(
        entries
    )
    assert "boto3-1.44.8.dist-info" in entries
    assert not [name for name in entries if name.lower().startswith(("pil", "pillow"))]


def test_layouts_split_pillow_and_the_sdk_as_described(layer_python, tmp_path):
    layout = prepare(layer_python, tmp_path)
    shipped_sdk, shipped_path = layout["shipped"]
    assert (shipped_sdk / "boto3" / "__pycache__").is_dir()
    assert shipped_path[0].joinpath(*HANDLER_MODULE.split(".")).with_suffix(".py").is_file()
    plain, _ = layout["no byte-code"]
    assert list(plain.rglob("*.pyc")) == []
    assert (plain / "boto3" / "__init__.py").is_file()
    runtime_sdk, (_, runtime_layer, sdk_again) = layout["runtime SDK"]
    assert sdk_again == runtime_sdk
    assert not (runtime_layer / "boto3").exists() and not (runtime_layer / "six.py").exists()
    assert (runtime_layer / "PIL" / "Image.py").is_file()
    assert list(runtime_layer.rglob("*.pyc")) == []
    assert not (runtime_sdk / "PIL").exists()
    assert bytecode_path(runtime_sdk / "six.py").is_file()
    assert not bytecode_path(runtime_layer / "six.py").exists()
    assert HANDLER.startswith(f"{HANDLER_MODULE}.")
    with_sdk = zipped_bytes([shipped_path[0], runtime_sdk], tmp_path / "zips")
    # The SDK would multiply the function's archive (sources and bundled assets) many times over.
    assert with_sdk > 20 * zipped_bytes([shipped_path[0]], tmp_path / "zips")
