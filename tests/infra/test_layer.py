"""`PillowLayer` under Pulumi mocks: it publishes the built layer for the stack's architecture."""

import asyncio
import functools
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

import infra.layer
from infra.layer import PillowLayer
from layer.build import LayerBuildError, build_layer
from layer.elf import elf_architecture

# Tests marked `network` build the layer (or take it from .cache/layers).
LAYER_VERSION = "aws:lambda/layerVersion:LayerVersion"


class LayerMocks(pulumi.runtime.Mocks):
    """Mocks that record every resource's type, name and inputs and return ARNs like AWS."""

    def __init__(self) -> None:
        self.resources: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append((args.typ, args.name, dict(args.inputs)))
        arn = f"arn:aws:lambda:us-east-1:123456789012:layer:{args.inputs.get('layerName')}:1"
        return f"{args.name}-id", {**args.inputs, "arn": arn}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list]:
        raise NotImplementedError(args.token)


@pytest.fixture(autouse=True)
def event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A loop of its own for each test: Pulumi creates futures on the thread's current loop,
    and Python 3.12 deprecates creating one implicitly."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def publish(architecture: str) -> tuple[LayerMocks, dict[str, Any]]:
    """Construct a PillowLayer under fresh mocks and resolve its outputs."""
    mocks = LayerMocks()
    pulumi.runtime.set_mocks(mocks, project="image-pipeline", stack="dev", preview=False)
    resolved: dict[str, Any] = {}

    @pulumi.runtime.test
    def construct() -> pulumi.Output:
        layer = PillowLayer("pillow", architecture)
        resolved["layer"] = layer
        return pulumi.Output.all(layer.arn, layer.layer_version.urn).apply(
            lambda values: resolved.update(arn=values[0], urn=values[1])
        )

    construct()
    return mocks, resolved


def layer_inputs(mocks: LayerMocks) -> dict[str, Any]:
    (inputs,) = [inputs for typ, _, inputs in mocks.resources if typ == LAYER_VERSION]
    return inputs


def zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.network
@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_layer_version_archive_is_the_built_tree_for_the_architecture(architecture):
    mocks, resolved = publish(architecture)
    build = build_layer(architecture)
    inputs = layer_inputs(mocks)
    code = inputs["code"]
    assert isinstance(code, pulumi.FileArchive)
    assert Path(code.path).resolve() == build.zip_path.resolve()
    tree = {
        p.relative_to(build.tree).as_posix(): p.read_bytes()
        for p in build.tree.rglob("*")
        if p.is_file()
    }
    assert zip_members(Path(code.path)) == tree
    assert inputs["sourceCodeHash"] == build.source_code_hash
    assert inputs["compatibleRuntimes"] == ["python3.12"]
    assert inputs["compatibleArchitectures"] == [architecture]
    assert inputs["layerName"] == "image-pipeline-dev-pillow"
    imaging = next((build.tree / "python" / "PIL").glob("_imaging.cpython-312-*.so"))
    assert elf_architecture(imaging) == architecture
    assert (
        resolved["arn"] == "arn:aws:lambda:us-east-1:123456789012:layer:image-pipeline-dev-pillow:1"
    )
    assert (
        "image-pipeline:layer:PillowLayer$aws:lambda/layerVersion:LayerVersion" in resolved["urn"]
    )
    assert resolved["layer"].build.architecture == architecture


@pytest.mark.network
def test_switching_architecture_switches_the_layer():
    x86_mocks, _ = publish("x86_64")
    arm_mocks, _ = publish("arm64")
    x86, arm = layer_inputs(x86_mocks), layer_inputs(arm_mocks)
    assert x86["sourceCodeHash"] != arm["sourceCodeHash"]
    assert x86["code"].path != arm["code"].path
    assert (x86["compatibleArchitectures"], arm["compatibleArchitectures"]) == (
        ["x86_64"],
        ["arm64"],
    )


@pytest.mark.network
def test_unchanged_layer_keeps_its_hash_across_runs():
    first, _ = publish("arm64")
    second, _ = publish("arm64")
    assert layer_inputs(first)["sourceCodeHash"] == layer_inputs(second)["sourceCodeHash"]
    assert layer_inputs(first)["code"].path == layer_inputs(second)["code"].path


def test_unknown_architecture_stops_the_program():
    with pytest.raises(ValueError, match="unknown Lambda architecture 'aarch64'"):
        publish("aarch64")


def test_a_failed_build_stops_the_program_with_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(
        infra.layer, "build_layer", functools.partial(build_layer, cache_root=tmp_path)
    )
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    with pytest.raises(LayerBuildError, match="building the Pillow layer for arm64: no wheel"):
        publish("arm64")
    assert list(tmp_path.iterdir()) == []
