"""Run the real ``__main__.py`` under Pulumi mocks and record everything it would create.

``run_program(config)`` executes the program in a fresh thread: a new thread starts with an empty
``contextvars`` context and no event loop, so Pulumi's ambient state (settings, config, root
stack) is new for every run and one pytest process can run the program many times with
different config. The mocks answer like AWS would (ARNs, URLs, auto-names) so the program's
``apply`` callbacks see realistic values.

    from tests.pulumi_harness import run_program, project_defaults
    stack = run_program({"memorySize": "2048"})          # bare keys get "image-pipeline:"
    function = stack.one("aws:lambda/function:Function")
    function.inputs["memorySize"] == 2048                 # wire names; numbers arrive as floats
    stack.outputs["function_arn"]                         # stack outputs, resolved
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import runpy
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import get_root_resource

REPO = Path(__file__).resolve().parent.parent
PROGRAM = REPO / "__main__.py"
PROJECT = "image-pipeline"
ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"


@dataclass(frozen=True)
class RecordedResource:
    """One registered resource: type token, logical name, URN, parent URN, the URNs it depends
    on, whether it is a custom (provider) resource, its id, inputs and outputs (wire names)."""

    type: str
    name: str
    urn: str
    parent: str
    dependencies: tuple[str, ...]
    custom: bool
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass(frozen=True)
class RecordedInvoke:
    """One provider function call: its token and arguments."""

    token: str
    args: dict[str, Any]


@dataclass
class RecordedStack:
    """Everything one run of the program registered, called and exported.

    ``outputs`` are the stack outputs, resolved; ``registered_outputs`` maps a resource URN to
    what it passed to ``register_outputs`` (components do; the stack's own are left out).
    """

    resources: list[RecordedResource] = field(default_factory=list)
    invokes: list[RecordedInvoke] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    registered_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of_type(self, type_token: str) -> list[RecordedResource]:
        """Every resource of one type token, e.g. ``aws:s3/bucket:Bucket``."""
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> RecordedResource:
        """The single resource of ``type_token`` (and logical ``name``); fails otherwise."""
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            names = sorted(r.name for r in self.of_type(type_token))
            raise AssertionError(f"expected one {type_token} {name or ''}, found {names}")
        return found[0]

    def by_urn(self, urn: str) -> RecordedResource:
        """The resource with this URN."""
        return next(r for r in self.resources if r.urn == urn)

    def children(self, parent: RecordedResource) -> list[RecordedResource]:
        """The resources whose parent is ``parent``."""
        return [r for r in self.resources if r.parent == parent.urn]

    def depends_on(self, resource: RecordedResource, other: RecordedResource) -> bool:
        """Whether ``resource`` was registered with a dependency on ``other``."""
        return other.urn in resource.dependencies


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks answering like AWS and recording every resource and invoke."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.invokes: list[RecordedInvoke] = []
        self._lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if not args.custom:
            return "", {}
        resource_id, computed = mock_state(args.typ, args.name, args.inputs, self.region)
        return resource_id, {**args.inputs, **computed}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        with self._lock:
            self.invokes.append(RecordedInvoke(args.token, dict(args.args)))
        if args.token == CALLER_IDENTITY:
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/deployer",
                "userId": "AIDAMOCKDEPLOYER",
                "id": ACCOUNT_ID,
            }
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}
        raise NotImplementedError(f"no mock for invoke {args.token}")


class RecordingMonitor(MockMonitor):
    """A mock monitor that also records each registration's parent, dependencies and inputs."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self.registered_outputs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        outputs = pulumi.runtime.rpc.deserialize_properties(request.outputs)
        with self._lock:
            self.registered_outputs[request.urn] = dict(outputs)
        return super().RegisterResourceOutputs(request)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        registration = self.resources[response.urn]
        inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
        with self._lock:
            self.recorded.append(
                RecordedResource(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    dependencies=tuple(request.dependencies),
                    custom=bool(request.custom),
                    id=registration.id,
                    inputs=dict(inputs),
                    outputs=dict(registration.state),
                )
            )
        return response


def mock_state(
    typ: str, name: str, inputs: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]]:
    """The id and computed outputs AWS (or pulumi-random) would return for a new resource."""
    auto = inputs.get("name") or f"{name}-{_digest(name, 7)}"
    arn_prefix = f"{region}:{ACCOUNT_ID}"
    if typ == "random:index/randomId:RandomId":
        hex_value = _digest(name, 2 * int(inputs.get("byteLength", 4)))
        return hex_value, {"hex": hex_value, "dec": str(int(hex_value, 16)), "b64Url": hex_value}
    if typ == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or auto
        return bucket, {
            "bucket": bucket,
            "arn": f"arn:aws:s3:::{bucket}",
            "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            "region": region,
        }
    if typ == "aws:iam/role:Role":
        return auto, {"name": auto, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{auto}"}
    if typ == "aws:cloudwatch/logGroup:LogGroup":
        return auto, {"name": auto, "arn": f"arn:aws:logs:{arn_prefix}:log-group:{auto}"}
    if typ == "aws:lambda/function:Function":
        arn = f"arn:aws:lambda:{arn_prefix}:function:{auto}"
        return auto, {
            "name": auto,
            "arn": arn,
            "qualifiedArn": f"{arn}:$LATEST",
            "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/"
            "invocations",
            "version": "$LATEST",
        }
    if typ == "aws:lambda/layerVersion:LayerVersion":
        layer_arn = f"arn:aws:lambda:{arn_prefix}:layer:{inputs.get('layerName', auto)}"
        return f"{layer_arn}:1", {"layerArn": layer_arn, "arn": f"{layer_arn}:1", "version": "1"}
    if typ == "aws:sqs/queue:Queue":
        url = f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{auto}"
        return url, {"name": auto, "arn": f"arn:aws:sqs:{arn_prefix}:{auto}", "url": url}
    if typ == "aws:sns/topic:Topic":
        arn = f"arn:aws:sns:{arn_prefix}:{auto}"
        return arn, {"name": auto, "arn": arn}
    if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        return auto, {"name": auto, "arn": f"arn:aws:cloudwatch:{arn_prefix}:alarm:{auto}"}
    if typ == "aws:cloudfront/distribution:Distribution":
        distribution_id = f"E{_digest(name, 13).upper()}"
        return distribution_id, {
            "arn": f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{distribution_id}",
            "domainName": f"d{_digest(name, 13)}.cloudfront.net",
            "hostedZoneId": "Z2FDTNDATAQYW2",
        }
    if typ == "aws:cloudfront/originAccessControl:OriginAccessControl":
        return f"E{_digest(name, 13).upper()}", {}
    if typ == "aws:lambda/eventSourceMapping:EventSourceMapping":
        mapping_uuid = f"{_digest(name, 8)}-0000-4000-8000-{_digest(name, 12)}"
        return mapping_uuid, {"uuid": mapping_uuid}
    if typ == "aws:lambda/permission:Permission":
        statement = inputs.get("statementId") or f"terraform-{_digest(name, 20)}"
        return statement, {"statementId": statement}
    return f"{name}-id", {}


def run_program(
    config: Mapping[str, str] | None = None,
    preview: bool = False,
    stack: str = "dev",
    program: Path = PROGRAM,
) -> RecordedStack:
    """Run ``program`` under mocks with ``config`` and return what it registered.

    Config keys without a namespace get ``image-pipeline:``; values are strings, as the CLI
    passes them (``"1024"``, ``"true"``, JSON for lists). Exceptions the program raises
    (e.g. ``infra.config.StackConfigError``) propagate to the caller.
    """
    full_config = {(k if ":" in k else f"{PROJECT}:{k}"): v for k, v in (config or {}).items()}
    region = full_config.get("aws:region", DEFAULT_REGION)
    mocks = RecordingMocks(region)
    monitor = RecordingMonitor(mocks)
    result: dict[str, Any] = {}

    def target() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            pulumi.runtime.set_all_config(full_config)
            pulumi.runtime.set_mocks(
                mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor
            )
            loop.run_until_complete(
                pulumi.runtime.stack.run_pulumi_func(
                    lambda: runpy.run_path(str(program), run_name="__main__")
                )
            )
            root = get_root_resource()
            exported = getattr(root, "outputs", {})
            result["outputs"] = {
                key: loop.run_until_complete(pulumi.Output.from_input(value).future())
                for key, value in exported.items()
            }
        except BaseException as exc:  # re-raised in the calling thread
            result["error"] = exc
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    thread = threading.Thread(target=target, name="pulumi-program")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return RecordedStack(
        resources=list(monitor.recorded),
        invokes=list(mocks.invokes),
        outputs=result["outputs"],
        registered_outputs={
            urn: outputs
            for urn, outputs in monitor.registered_outputs.items()
            if "::pulumi:pulumi:Stack::" not in urn
        },
    )


def project_defaults() -> dict[str, str]:
    """The ``image-pipeline:`` config the Pulumi CLI passes from ``Pulumi.yaml``'s defaults,
    as strings like the CLI's (JSON for lists, ``true``/``false`` for booleans)."""
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    return {
        key: _config_string(spec["default"])
        for key, spec in project.get("config", {}).items()
        if isinstance(spec, dict) and "default" in spec
    }


def _config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]
