"""Every policy of the pack over every resource the real program creates under Pulumi mocks:
no violation, while deliberately weakened copies of those resources do violate."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policy.hardening.policies import all_policies
from tests.pulumi_harness import RecordedResource, project_defaults, run_program

pytestmark = pytest.mark.network  # the program builds the layer (or takes it from .cache/layers)

ROLE_POLICY_TYPES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/role:Role")


@pytest.fixture(scope="module")
def default_stack() -> list[RecordedResource]:
    return run_program(project_defaults()).resources


@pytest.fixture(scope="module")
def kms_stack() -> list[RecordedResource]:
    config = {
        **project_defaults(),
        "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "alarmEmail": "ops@example.com",
        "reservedConcurrency": "5",
    }
    return run_program(config).resources


def props_of(resource: RecordedResource) -> dict:
    return {**resource.inputs, **resource.outputs, "id": resource.id}


def violations(resources: list[RecordedResource]) -> list[tuple[str, str, str | None]]:
    """``(policy, message, urn)`` for every violation the pack reports, run as the engine would."""
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    found: list[tuple[str, str, str | None]] = []
    custom = [r for r in resources if r.custom]
    policy_resources = [
        PolicyResource(
            r.type, unknown_checking_proxy(props_of(r)), r.urn, r.name, options, None, None, [], {}
        )
        for r in custom
    ]
    for policy in all_policies():

        def report(message: str, urn: str | None = None, name: str = policy.name) -> None:
            found.append((name, message, urn))

        if isinstance(policy, ResourceValidationPolicy):
            for resource in policy_resources:
                args = ResourceValidationArgs(
                    resource.resource_type,
                    resource.props,
                    resource.urn,
                    resource.name,
                    options,
                    None,
                )
                policy.validate(args, lambda m, urn=None, r=resource: report(m, urn or r.urn))
        elif isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(policy_resources), report)
    return found


def test_the_program_creates_what_the_policies_inspect(default_stack):
    types = {r.type for r in default_stack}
    assert "aws:s3/bucket:Bucket" in types
    assert "aws:lambda/permission:Permission" in types
    assert "aws:cloudwatch/logGroup:LogGroup" in types
    assert types & set(ROLE_POLICY_TYPES)


def test_default_stack_violates_no_policy(default_stack):
    assert violations(default_stack) == []


def test_kms_stack_with_alarms_violates_no_policy(kms_stack):
    assert violations(kms_stack) == []


def weaken(
    resources: list[RecordedResource], type_token: str, change: Callable[[dict], None]
) -> list[RecordedResource]:
    """A copy of ``resources`` where the first resource of ``type_token`` has ``change`` applied
    to its inputs and outputs."""
    weakened = list(resources)
    index = next((i for i, r in enumerate(resources) if r.type == type_token), None)
    assert index is not None, f"no {type_token} in the stack"
    original = resources[index]
    inputs, outputs = copy.deepcopy(original.inputs), copy.deepcopy(original.outputs)
    change(inputs)
    change(outputs)
    weakened[index] = dataclasses.replace(original, inputs=inputs, outputs=outputs)
    return weakened


def set_key(key: str, value) -> Callable[[dict], None]:
    def change(props: dict) -> None:
        props[key] = value

    return change


def drop_key(key: str) -> Callable[[dict], None]:
    def change(props: dict) -> None:
        props.pop(key, None)

    return change


def widen_first_statement(props: dict) -> None:
    if isinstance(props.get("policy"), str):
        document = json.loads(props["policy"])
        document["Statement"][0]["Action"] = "*"
        props["policy"] = json.dumps(document)


def open_trust(props: dict) -> None:
    document = json.loads(props["assumeRolePolicy"])
    document["Statement"][0]["Principal"] = {"AWS": "*"}
    props["assumeRolePolicy"] = json.dumps(document)


def add_public_read(props: dict) -> None:
    document = json.loads(props["policy"])
    bucket_arn = document["Statement"][0]["Resource"][0]
    document["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"{bucket_arn}/*",
        }
    )
    props["policy"] = json.dumps(document)


def test_a_bucket_without_versioning_violates(default_stack):
    versioning = "aws:s3/bucketVersioning:BucketVersioning"
    weakened = [r for r in default_stack if r.type != versioning or "processed" not in r.name]
    found = violations(weakened)
    assert [(name, urn) for name, _, urn in found] == [
        (
            "s3-bucket-has-versioning",
            next(
                r.urn
                for r in default_stack
                if r.type == "aws:s3/bucket:Bucket" and "processed" in r.name
            ),
        )
    ]


@pytest.mark.parametrize(
    ("type_token", "change", "policy"),
    [
        (
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            set_key("blockPublicPolicy", False),
            "s3-public-access-fully-blocked",
        ),
        (
            "aws:s3/bucketVersioning:BucketVersioning",
            set_key("versioningConfiguration", {"status": "Suspended"}),
            "s3-versioning-enabled",
        ),
        (
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            set_key("rule", {"objectOwnership": "ObjectWriter"}),
            "s3-bucket-owner-enforced",
        ),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            set_key("rules", []),
            "s3-encryption-by-default",
        ),
        (
            "aws:s3/bucketPolicy:BucketPolicy",
            set_key("policy", json.dumps({"Version": "2012-10-17", "Statement": []})),
            "s3-bucket-policy-tls-only",
        ),
        (
            "aws:lambda/permission:Permission",
            drop_key("sourceAccount"),
            "lambda-permission-s3-source-account",
        ),
        ("aws:cloudwatch/logGroup:LogGroup", set_key("retentionInDays", 0), "log-group-retention"),
        ("aws:iam/rolePolicy:RolePolicy", widen_first_statement, "iam-no-wildcard-in-policies"),
        (
            "aws:iam/role:Role",
            set_key("managedPolicyArns", ["arn:aws:iam::aws:policy/AdministratorAccess"]),
            "iam-no-privileged-managed-policy",
        ),
        ("aws:iam/role:Role", open_trust, "iam-trust-policy-not-public"),
        ("aws:s3/bucketPolicy:BucketPolicy", add_public_read, "resource-policy-not-public"),
    ],
)
def test_weakened_resources_violate(default_stack, type_token, change, policy):
    found = violations(weaken(default_stack, type_token, change))
    assert {name for name, _, _ in found} == {policy}


@pytest.fixture(scope="module")
def scale_stack() -> list[RecordedResource]:
    return run_program({**project_defaults(), "cdn": "true", "ingest": "queue"}).resources


def without_origin_access_control(props: dict) -> None:
    for origin in props.get("origins", []):
        origin.pop("originAccessControlId", None)


def with_legacy_identity(props: dict) -> None:
    for origin in props.get("origins", []):
        origin["s3OriginConfig"] = {"originAccessIdentity": "origin-access-identity/cloudfront/E1"}


def unpin_cloudfront_read(props: dict) -> None:
    if isinstance(props.get("policy"), str) and "cloudfront" in props["policy"]:
        document = json.loads(props["policy"])
        document["Statement"][-1].pop("Condition")
        props["policy"] = json.dumps(document)


def test_cdn_and_queue_stack_violates_no_policy(scale_stack):
    types = {r.type for r in scale_stack}
    assert "aws:cloudfront/distribution:Distribution" in types
    assert "aws:lambda/eventSourceMapping:EventSourceMapping" in types
    assert violations(scale_stack) == []


@pytest.mark.parametrize(
    ("change", "policy"),
    [
        (without_origin_access_control, "cloudfront-s3-origin-uses-oac"),
        (with_legacy_identity, "cloudfront-s3-origin-uses-oac"),
    ],
)
def test_distribution_without_oac_violates(scale_stack, change, policy):
    weakened = weaken(scale_stack, "aws:cloudfront/distribution:Distribution", change)
    assert {name for name, _, _ in violations(weakened)} == {policy}


def test_cloudfront_read_without_source_arn_violates(scale_stack):
    processed = next(i for i, r in enumerate(scale_stack) if r.name == "processed-tls-only")
    weakened = list(scale_stack)
    original = scale_stack[processed]
    inputs, outputs = copy.deepcopy(original.inputs), copy.deepcopy(original.outputs)
    unpin_cloudfront_read(inputs)
    unpin_cloudfront_read(outputs)
    weakened[processed] = dataclasses.replace(original, inputs=inputs, outputs=outputs)
    assert {name for name, _, _ in violations(weakened)} == {
        "s3-cloudfront-read-pinned-to-distribution"
    }
