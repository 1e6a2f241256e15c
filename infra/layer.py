"""The Pillow Lambda layer as a Pulumi component, built (or taken from cache) as it runs."""

import os
import re
from pathlib import Path

import pulumi
import pulumi_aws as aws

from layer.build import RUNTIME, build_layer

LAYER_NAME_MAX = 64


def layer_name(name: str) -> str:
    """A Lambda layer name unique to this project and stack (letters, digits, - and _)."""
    raw = f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}"
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw)[:LAYER_NAME_MAX]


def archive_path(path: Path) -> str:
    """`path` relative to the working directory (the Pulumi project) when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return os.fspath(path)


class PillowLayer(pulumi.ComponentResource):
    """A `LayerVersion` holding Pillow for python3.12 on `architecture` ("x86_64" or "arm64").

    The layer is built by `layer.build` for the Lambda platform (or reused from its cache); a
    failed build raises `layer.build.LayerBuildError`, which stops the program before anything
    is deployed. The archive is the build's reproducible zip and `source_code_hash` its
    base64 SHA-256, so an unchanged layer never publishes a new version.
    """

    layer_version: aws.lambda_.LayerVersion
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, architecture: str, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("image-pipeline:layer:PillowLayer", name, None, opts)
        build = build_layer(architecture)
        self.architecture = architecture
        self.build = build
        source = "from cache" if build.from_cache else f"built in {build.seconds:.1f} s"
        pulumi.log.info(
            f"Pillow layer for {architecture} {source}: {build.unzipped_bytes / 1e6:.1f} MB "
            f"unzipped, {build.zipped_bytes / 1e6:.1f} MB zipped",
            resource=self,
        )
        self.layer_version = aws.lambda_.LayerVersion(
            name,
            layer_name=layer_name(name),
            description=f"Pillow, boto3 for {RUNTIME} on {architecture} (layer/requirements.txt)",
            code=pulumi.FileArchive(archive_path(build.zip_path)),
            source_code_hash=build.source_code_hash,
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[architecture],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.layer_version.arn
        self.register_outputs(
            {
                "arn": self.arn,
                "architecture": architecture,
                "unzipped_bytes": build.unzipped_bytes,
            }
        )
