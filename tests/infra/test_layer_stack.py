"""The real program under mocks: the stack's `architecture` switches layer and function together."""

from pathlib import Path

import pytest

from layer.build import build_layer
from layer.elf import elf_architecture
from tests.pulumi_harness import project_defaults, run_program

pytestmark = pytest.mark.network  # builds the layer (or takes it from .cache/layers)

LAYER_VERSION = "aws:lambda/layerVersion:LayerVersion"
FUNCTION = "aws:lambda/function:Function"


@pytest.fixture(scope="module")
def stacks():
    """The program run once per architecture, with the project's default config otherwise."""
    return {
        architecture: run_program({**project_defaults(), "architecture": architecture})
        for architecture in ("x86_64", "arm64")
    }


@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_function_runs_on_the_layer_built_for_its_architecture(stacks, architecture):
    stack = stacks[architecture]
    layer = stack.one(LAYER_VERSION)
    function = stack.one(FUNCTION)
    build = build_layer(architecture)
    assert Path(layer.inputs["code"].path).resolve() == build.zip_path.resolve()
    assert layer.inputs["sourceCodeHash"] == build.source_code_hash
    assert layer.inputs["compatibleArchitectures"] == [architecture]
    assert layer.inputs["compatibleRuntimes"] == ["python3.12"]
    assert function.inputs["architectures"] == [architecture]
    assert function.inputs["runtime"] == "python3.12"
    assert function.inputs["layers"] == [layer.outputs["arn"]]
    assert stack.by_urn(layer.parent).type == "image-pipeline:layer:PillowLayer"
    imaging = next((build.tree / "python" / "PIL").glob("_imaging.cpython-312-*.so"))
    assert elf_architecture(imaging) == architecture


def test_switching_architecture_replaces_the_layer_content(stacks):
    x86 = stacks["x86_64"].one(LAYER_VERSION).inputs
    arm = stacks["arm64"].one(LAYER_VERSION).inputs
    assert x86["sourceCodeHash"] != arm["sourceCodeHash"]
    assert x86["code"].path != arm["code"].path
