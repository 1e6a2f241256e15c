"""Each hardening rule against complying and violating properties, and the CrossGuard adapters
(called directly: no policy pack server)."""

from __future__ import annotations

import json

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from policy.hardening import rules
from policy.hardening.policies import all_policies, resource_policy, stack_policy

BUCKET_ARN = "arn:aws:s3:::uploads-abc"
TLS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}
GOOD_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"{BUCKET_ARN}/*"]},
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
    ],
}


def with_statement(document: dict, **changes) -> dict:
    changed = json.loads(json.dumps(document))
    changed["Statement"][0].update(changes)
    return changed


# --- resource rules -------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["AES256", "aws:kms", "aws:kms:dsse"])
def test_encryption_accepts_sse_s3_and_kms(algorithm):
    props = {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm}}]}
    assert rules.check_encryption(props) == []


@pytest.mark.parametrize(
    "props",
    [
        {},
        {"rules": []},
        {"rules": [{"bucketKeyEnabled": True}]},
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "none"}}]},
    ],
)
def test_encryption_rejects_missing_or_unknown_algorithms(props):
    assert rules.check_encryption(props)


def test_versioning_must_be_enabled():
    assert rules.check_versioning({"versioningConfiguration": {"status": "Enabled"}}) == []
    (message,) = rules.check_versioning({"versioningConfiguration": {"status": "Suspended"}})
    assert "'Suspended'" in message
    assert rules.check_versioning({})


def test_public_access_block_needs_all_four_flags():
    props = dict.fromkeys(rules.PUBLIC_ACCESS_FLAGS, True)
    assert rules.check_public_access_block(props) == []
    (message,) = rules.check_public_access_block({**props, "restrictPublicBuckets": False})
    assert "restrictPublicBuckets" in message
    assert "blockPublicAcls" not in message
    assert rules.check_public_access_block({})


def test_ownership_must_be_bucket_owner_enforced():
    enforced = {"rule": {"objectOwnership": "BucketOwnerEnforced"}}
    assert rules.check_ownership_controls(enforced) == []
    assert rules.check_ownership_controls({"rule": {"objectOwnership": "BucketOwnerPreferred"}})
    assert rules.check_ownership_controls({})


def test_tls_only_policy_passes_as_text_or_object():
    assert rules.check_tls_only_bucket_policy({"policy": json.dumps(TLS_POLICY)}) == []
    assert rules.check_tls_only_bucket_policy({"policy": TLS_POLICY}) == []
    as_bool = with_statement(TLS_POLICY, Condition={"Bool": {"aws:SecureTransport": False}})
    assert rules.check_tls_only_bucket_policy({"policy": as_bool}) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"Effect": "Allow"},
        {"Principal": {"AWS": "arn:aws:iam::123456789012:root"}},
        {"Action": "s3:GetObject"},
        {"Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Condition": {}},
        {"Resource": [f"{BUCKET_ARN}/*"]},
        {"Resource": [BUCKET_ARN]},
    ],
)
def test_tls_only_policy_rejects_weakened_statements(changes):
    policy = with_statement(TLS_POLICY, **changes)
    assert rules.check_tls_only_bucket_policy({"policy": json.dumps(policy)})


def test_tls_only_policy_rejects_non_documents():
    assert rules.check_tls_only_bucket_policy({"policy": "{not json"})
    assert rules.check_tls_only_bucket_policy({})


def test_lambda_permission_from_s3_needs_source_account_and_arn():
    good = {
        "principal": "s3.amazonaws.com",
        "action": "lambda:InvokeFunction",
        "sourceAccount": "123456789012",
        "sourceArn": BUCKET_ARN,
    }
    assert rules.check_lambda_permission(good) == []
    (message,) = rules.check_lambda_permission({**good, "sourceAccount": None})
    assert "sourceAccount" in message
    assert rules.check_lambda_permission({**good, "sourceAccount": "12345"})
    (message,) = rules.check_lambda_permission({**good, "sourceArn": ""})
    assert "sourceArn" in message
    assert rules.check_lambda_permission({"principal": "events.amazonaws.com"}) == []


def test_policy_document_accepts_exact_actions_and_resources():
    assert rules.check_policy_document(GOOD_DOCUMENT) == []
    assert rules.check_policy_document(json.dumps(GOOD_DOCUMENT)) == []


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"Action": "*"}, "wildcard action"),
        ({"Action": ["s3:*"]}, "wildcard action"),
        ({"Action": ["s3:Get*"]}, "wildcard action"),
        ({"Resource": "*"}, "every resource"),
        ({"Resource": ["arn:x", "*"]}, "every resource"),
        ({"NotAction": ["s3:DeleteObject"]}, "NotAction"),
        ({"NotResource": [BUCKET_ARN]}, "NotResource"),
    ],
)
def test_policy_document_rejects_wildcards(changes, fragment):
    (message,) = rules.check_policy_document(with_statement(GOOD_DOCUMENT, **changes))
    assert fragment in message


def test_role_inline_policies_and_policy_resources():
    good = {"inlinePolicies": [{"name": "fn", "policy": json.dumps(GOOD_DOCUMENT)}]}
    assert rules.check_role_inline_policies(good) == []
    assert rules.check_role_inline_policies({}) == []
    bad = {
        "inlinePolicies": [
            {"name": "fn", "policy": json.dumps(with_statement(GOOD_DOCUMENT, Action="*"))}
        ]
    }
    (message,) = rules.check_role_inline_policies(bad)
    assert message.startswith("inline policy fn")
    assert rules.check_iam_policy_resource({"policy": json.dumps(GOOD_DOCUMENT)}) == []
    assert rules.check_iam_policy_resource({"policy": with_statement(GOOD_DOCUMENT, Resource="*")})
    assert rules.check_iam_policy_resource({"policy": "not a document"})


@pytest.mark.parametrize(
    ("retention", "ok"),
    [
        (14, True),
        (7.0, True),
        (1, True),
        (0, False),
        (7.5, False),
        (None, False),
        (True, False),
        ("14", False),
    ],
)
def test_log_group_retention(retention, ok):
    assert (rules.check_log_group_retention({"retentionInDays": retention}) == []) is ok


# --- stack rules ----------------------------------------------------------------------------

BUCKET = "aws:s3/bucket:Bucket"
COMPANIONS = {
    rule.name: sorted(rule.companion_types)[0] for rule in rules.STACK_RULES
}  # the current (non-V2) type token sorts first


def bucket_with_companions(name: str, skip: str | None = None, by_dependency: bool = False):
    bucket_urn = f"urn:pulumi:dev::p::{BUCKET}::{name}"
    resources = [rules.StackResource(BUCKET, bucket_urn, {"bucket": name, "id": name})]
    for rule_name, type_token in COMPANIONS.items():
        if rule_name == skip:
            continue
        urn = f"urn:pulumi:dev::p::{type_token}::{name}-{rule_name}"
        if by_dependency:
            resources.append(rules.StackResource(type_token, urn, {}, {"bucket": [bucket_urn]}))
        else:
            resources.append(rules.StackResource(type_token, urn, {"bucket": name}))
    return resources


def test_every_stack_rule_passes_when_each_bucket_has_its_companions():
    resources = bucket_with_companions("a") + bucket_with_companions("b", by_dependency=True)
    for rule in rules.STACK_RULES:
        assert rule.check(resources) == []


@pytest.mark.parametrize("rule", rules.STACK_RULES, ids=lambda rule: rule.name)
def test_each_stack_rule_names_the_bucket_missing_its_companion(rule):
    resources = bucket_with_companions("a") + bucket_with_companions("b", skip=rule.name)
    (violation,) = rule.check(resources)
    assert violation[0].endswith("::b")
    assert "S3 bucket b has no" in violation[1]
    others = [r for r in rules.STACK_RULES if r is not rule]
    assert all(other.check(resources) == [] for other in others)


def test_a_companion_of_another_bucket_does_not_count():
    other = rules.StackResource(BUCKET, "urn:b", {"bucket": "b"})
    resources = [*bucket_with_companions("a"), other]
    for rule in rules.STACK_RULES:
        assert rule.check(resources) == [("urn:b", f"S3 bucket b has no {rule.what}")]


# --- CrossGuard adapters --------------------------------------------------------------------


def options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def validate_resource(policy, type_token: str, props: dict) -> list[str]:
    reported: list[str] = []
    args = ResourceValidationArgs(
        type_token, unknown_checking_proxy(props), "urn:x", "x", options(), None
    )
    policy.validate(args, lambda message, urn=None: reported.append(message))
    return reported


def policy_named(name: str):
    (policy,) = [p for p in all_policies() if p.name == name]
    return policy


def test_pack_has_one_mandatory_policy_per_rule():
    policies = all_policies()
    names = [p.name for p in policies]
    assert len(names) == len(set(names)) == len(rules.RESOURCE_RULES) + len(rules.STACK_RULES)
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in policies)


def test_resource_policy_reports_only_for_its_types():
    policy = policy_named("log-group-retention")
    log_group = "aws:cloudwatch/logGroup:LogGroup"
    assert validate_resource(policy, log_group, {"retentionInDays": 30}) == []
    assert len(validate_resource(policy, log_group, {})) == 1
    assert validate_resource(policy, "aws:sqs/queue:Queue", {}) == []


def test_resource_policy_leaves_unknown_values_to_the_engine():
    policy = resource_policy(rules.RESOURCE_RULES[4])  # TLS-only bucket policy
    with pytest.raises(UnknownValueError):
        validate_resource(
            policy, "aws:s3/bucketPolicy:BucketPolicy", {"policy": UNKNOWN_STRING_VALUE}
        )


def policy_resource(
    type_token: str, urn: str, props: dict, deps: dict | None = None
) -> PolicyResource:
    return PolicyResource(
        type_token,
        unknown_checking_proxy(props),
        urn,
        urn.rsplit("::", 1)[-1],
        options(),
        None,
        None,
        [],
        deps or {},
    )


def test_stack_policy_matches_companions_by_dependency_when_names_are_unknown():
    bucket = policy_resource(
        BUCKET, "urn:dev::uploads", {"bucket": UNKNOWN_STRING_VALUE, "id": UNKNOWN_STRING_VALUE}
    )
    versioning = policy_resource(
        "aws:s3/bucketVersioning:BucketVersioning",
        "urn:dev::uploads-versioning",
        {"bucket": UNKNOWN_STRING_VALUE},
        {"bucket": [bucket]},
    )
    policy = stack_policy(rules.STACK_RULES[1])
    reported: list[tuple[str, str | None]] = []
    policy.validate(
        StackValidationArgs([bucket, versioning]), lambda m, urn=None: reported.append((m, urn))
    )
    assert reported == []
    policy.validate(StackValidationArgs([bucket]), lambda m, urn=None: reported.append((m, urn)))
    assert reported == [
        ("S3 bucket urn:dev::uploads has no versioning configuration", "urn:dev::uploads")
    ]
