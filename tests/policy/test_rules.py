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


ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ACCOUNT = "123456789012"


def document_of(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.mark.parametrize(
    ("action", "ok"),
    [("s3:GetObject", True), ("s3:GetObjec?", False), ("s3:?etObject", False), ("*", False)],
)
def test_policy_document_treats_question_marks_as_wildcards(action, ok):
    document = with_statement(GOOD_DOCUMENT, Action=[action])
    assert (rules.check_policy_document(document) == []) is ok


@pytest.mark.parametrize(
    ("resource", "ok"),
    [
        (f"{BUCKET_ARN}/*", True),
        (f"{BUCKET_ARN}/in/*", True),
        (BUCKET_ARN, True),
        ("arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fn:*", True),
        ("arn:aws:iam::123456789012:role/processor", True),
        ("arn:aws:s3:::*/*", False),
        ("arn:aws:s3:::*", False),
        ("arn:aws:s3:::uploads-*/*", False),
        ("arn:aws:s3:::upload?/*", False),
        ("arn:aws:iam::123456789012:role/*", False),
        ("arn:aws:iam::123456789012:role/app-*", False),
        ("arn:aws:iam::*:role/processor", False),
        ("arn:aws:logs:eu-west-1:123456789012:log-group:*", False),
        ("arn:aws:sqs:eu-west-1:123456789012:*", False),
        ("arn:aws:*:eu-west-1:123456789012:thing", False),
        ("arn:*", False),
    ],
)
def test_policy_document_rejects_resources_spanning_other_resources(resource, ok):
    found = rules.check_policy_document(with_statement(GOOD_DOCUMENT, Resource=[resource]))
    assert (found == []) is ok, found
    if not ok:
        assert "wildcard resource" in found[0] or "every resource" in found[0]


@pytest.mark.parametrize(
    ("props", "ok"),
    [
        ({"policyArn": "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole"}, True),
        ({"policyArn": f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess"}, True),
        ({"managedPolicyArns": []}, True),
        ({}, True),
        ({"policyArn": ADMIN}, False),
        ({"policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}, False),
        ({"policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"}, False),
        ({"policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"}, False),
        ({"policyArn": "arn:aws:iam::aws:policy/job-function/SystemAdministrator"}, True),
        ({"managedPolicyArns": [ADMIN]}, False),
        ({"policyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", ADMIN]}, False),
    ],
)
def test_privileged_managed_policies_are_not_attached(props, ok):
    assert (rules.check_no_privileged_managed_policy(props) == []) is ok


@pytest.mark.parametrize(
    "type_token",
    [
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
        "aws:iam/role:Role",
    ],
)
def test_administrator_access_is_caught_on_every_way_to_attach_it(type_token):
    props = {"policyArn": ADMIN, "managedPolicyArns": [ADMIN]}
    found = rules.check_resource(type_token, props)
    assert "iam-no-privileged-managed-policy" in found


LAMBDA_TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole",
}


@pytest.mark.parametrize(
    "principal",
    [
        "*",
        {"AWS": "*"},
        {"AWS": ["*"]},
        ["*"],
        {"AWS": "arn:aws:iam::*:root"},
        {"AWS": ["arn:aws:iam::123456789012:root", "arn:aws:iam::*:role/x"]},
        {"Service": "*.amazonaws.com"},
        {"Federated": "*"},
    ],
)
def test_trust_policy_with_a_wildcard_principal_violates(principal):
    trust = document_of({**LAMBDA_TRUST, "Principal": principal})
    (message,) = rules.check_trust_policy_not_public({"assumeRolePolicy": trust})
    assert "any principal" in message
    assert "iam-trust-policy-not-public" in rules.check_resource(
        "aws:iam/role:Role", {"assumeRolePolicy": trust}
    )


def test_trust_policy_for_a_service_or_an_account_passes():
    assert (
        rules.check_trust_policy_not_public({"assumeRolePolicy": document_of(LAMBDA_TRUST)}) == []
    )
    account = {**LAMBDA_TRUST, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}
    assert rules.check_trust_policy_not_public({"assumeRolePolicy": document_of(account)}) == []
    not_principal = {**LAMBDA_TRUST, "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}
    del not_principal["Principal"]
    assert rules.check_trust_policy_not_public({"assumeRolePolicy": document_of(not_principal)})


@pytest.mark.parametrize(
    ("condition", "ok"),
    [
        ({"StringEquals": {"aws:PrincipalOrgID": "o-abcdef1234"}}, True),
        ({"StringEquals": {"AWS:SourceOwner": ACCOUNT}}, True),
        ({"ArnLike": {"aws:SourceArn": BUCKET_ARN}}, True),
        ({"StringEquals": {"aws:SourceAccount": [ACCOUNT]}}, True),
        ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-abc/r-ab12/*"}}, True),
        (None, False),
        ({}, False),
        ({"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}, False),
        ({"StringLike": {"aws:SourceAccount": "*"}}, False),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}, False),
        ({"StringNotEquals": {"aws:SourceAccount": ACCOUNT}}, False),
        ({"Bool": {"aws:SecureTransport": "true"}}, False),
        ({"StringEquals": {"aws:UserAgent": "mine"}}, False),
        ({"Null": {"aws:SourceArn": "false"}}, False),
    ],
)
def test_a_wildcard_principal_passes_only_when_a_condition_pins_the_caller(condition, ok):
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "sqs:SendMessage",
        "Resource": "arn:aws:sqs:eu-west-1:123456789012:q",
    }
    if condition is not None:
        statement["Condition"] = condition
    found = rules.check_resource_policy_not_public({"policy": document_of(statement)})
    assert (found == []) is ok, found


def test_public_allow_beside_the_tls_deny_violates_the_bucket_policy():
    public_read = {
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"{BUCKET_ARN}/*",
    }
    policy = {"policy": document_of(*TLS_POLICY["Statement"], public_read)}
    assert rules.check_tls_only_bucket_policy(policy) == []  # the TLS deny is still there
    found = rules.check_resource("aws:s3/bucketPolicy:BucketPolicy", policy)
    assert list(found) == ["resource-policy-not-public"]
    assert "PublicRead" in found["resource-policy-not-public"][0]
    assert rules.check_resource("aws:s3/bucketPolicy:BucketPolicy", {"policy": TLS_POLICY}) == {}


@pytest.mark.parametrize(
    ("type_token", "action"),
    [
        ("aws:sqs/queuePolicy:QueuePolicy", "sqs:SendMessage"),
        ("aws:sqs/queue:Queue", "sqs:*"),
        ("aws:sns/topicPolicy:TopicPolicy", "sns:Publish"),
        ("aws:sns/topic:Topic", "sns:Subscribe"),
        ("aws:kms/key:Key", "kms:Decrypt"),
    ],
)
def test_queue_topic_and_key_policies_open_to_everyone_violate(type_token, action):
    open_statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": action,
        "Resource": "*",
    }
    found = rules.check_resource(type_token, {"policy": document_of(open_statement)})
    assert "resource-policy-not-public" in found
    pinned = {**open_statement, "Condition": {"ArnEquals": {"aws:SourceArn": BUCKET_ARN}}}
    assert rules.check_resource(type_token, {"policy": document_of(pinned)}) == {}
    assert rules.check_resource(type_token, {"policy": ""}) == {}  # a queue without a policy
    assert rules.check_resource(type_token, {}) == {}


@pytest.mark.parametrize(
    ("props", "ok"),
    [
        (
            {"principal": "s3.amazonaws.com", "sourceAccount": ACCOUNT, "sourceArn": BUCKET_ARN},
            True,
        ),
        ({"principal": "*", "sourceAccount": ACCOUNT}, True),
        ({"principal": "*", "principalOrgId": "o-abcdef1234"}, True),
        ({"principal": "*", "sourceArn": "arn:aws:execute-api:eu-west-1:123456789012:api/*"}, True),
        ({"principal": "*"}, False),
        ({"principal": "*", "functionUrlAuthType": "NONE"}, False),
        ({"principal": "*", "sourceArn": "*"}, False),
        ({"principal": "*", "sourceAccount": "*"}, False),
    ],
)
def test_lambda_permission_for_any_principal_needs_a_source(props, ok):
    found = rules.check_resource("aws:lambda/permission:Permission", props)
    assert ("lambda-permission-not-public" not in found) is ok, found


@pytest.mark.parametrize(("auth", "ok"), [("AWS_IAM", True), ("NONE", False), (None, False)])
def test_function_url_requires_iam_auth(auth, ok):
    found = rules.check_resource(
        "aws:lambda/functionUrl:FunctionUrl", {"authorizationType": auth, "functionName": "f"}
    )
    assert (found == {}) is ok


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
    assert (
        len(names)
        == len(set(names))
        == len(rules.RESOURCE_RULES) + len(rules.STACK_RULES) + len(rules.DISTRIBUTION_RULES)
    )
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


# --- CloudFront origins -----------------------------------------------------------------------

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
OAI = "aws:cloudfront/originAccessIdentity:OriginAccessIdentity"
DISTRIBUTION_ARN = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"
S3_DOMAIN = "pics.s3.eu-west-1.amazonaws.com"


def distribution(origin: dict, deps: dict | None = None) -> rules.StackResource:
    return rules.StackResource(DISTRIBUTION, "urn:cdn", {"origins": [origin]}, deps or {})


@pytest.mark.parametrize(
    ("origin", "deps", "ok"),
    [
        ({"originId": "o", "domainName": S3_DOMAIN, "originAccessControlId": "E1"}, {}, True),
        ({"originId": "o", "domainName": S3_DOMAIN}, {"origins": ["urn:oac"]}, True),
        ({"originId": "o", "domainName": "api.example.com", "customOriginConfig": {}}, {}, True),
        ({"originId": "o", "domainName": S3_DOMAIN}, {}, False),
        ({"originId": "o", "domainName": "pics.s3.amazonaws.com"}, {}, False),
        (
            {"originId": "o", "domainName": "x", "s3OriginConfig": {"originAccessIdentity": ""}},
            {},
            False,
        ),
        (
            {
                "originId": "o",
                "domainName": S3_DOMAIN,
                "s3OriginConfig": {"originAccessIdentity": "origin-access-identity/cloudfront/E1"},
            },
            {"origins": ["urn:oac"]},
            False,
        ),
    ],
)
def test_s3_origins_need_origin_access_control_and_no_legacy_identity(origin, deps, ok):
    control = rules.StackResource(OAC, "urn:oac", {"id": "E1"})
    found = rules.check_stack([control, distribution(origin, deps)])
    assert ("cloudfront-s3-origin-uses-oac" not in found) is ok, found
    if not ok:
        [(urn, message)] = found["cloudfront-s3-origin-uses-oac"]
        assert urn == "urn:cdn" and "S3 origin o" in message


def test_a_legacy_origin_access_identity_resource_violates():
    found = rules.check_stack([rules.StackResource(OAI, "urn:oai", {})])
    assert found["cloudfront-s3-origin-uses-oac"] == [
        ("urn:oai", "CloudFront origin access identity (legacy OAI): use Origin Access Control")
    ]


def cloudfront_read(condition: dict | None) -> dict:
    statement = {
        "Sid": "Read",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::pics/*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}


@pytest.mark.parametrize(
    ("condition", "ok"),
    [
        ({"StringEquals": {"AWS:SourceArn": DISTRIBUTION_ARN}}, True),
        ({"ArnEquals": {"aws:SourceArn": [DISTRIBUTION_ARN]}}, True),
        (None, False),
        ({"StringLike": {"AWS:SourceArn": "arn:aws:cloudfront::*:distribution/*"}}, False),
        (
            {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/*"}},
            False,
        ),
        ({"StringEquals": {"AWS:SourceAccount": "123456789012"}}, False),
    ],
)
def test_cloudfront_read_must_name_one_distribution(condition, ok):
    found = rules.check_resource("aws:s3/bucketPolicy:BucketPolicy", cloudfront_read(condition))
    assert ("s3-cloudfront-read-pinned-to-distribution" not in found) is ok, found


def test_distribution_origins_unknown_at_preview_are_read_through_the_proxy():
    policy = policy_named("cloudfront-s3-origin-uses-oac")
    origin = {
        "originId": "o",
        "domainName": S3_DOMAIN,
        "originAccessControlId": UNKNOWN_STRING_VALUE,
    }
    reported: list[str] = []
    resources = [
        policy_resource(OAC, "urn:p::oac", {"id": UNKNOWN_STRING_VALUE}),
        policy_resource(DISTRIBUTION, "urn:p::cdn", {"origins": [origin]}, {"origins": []}),
    ]
    policy.validate(StackValidationArgs(resources), lambda m, urn=None: reported.append(m))
    assert reported == ["S3 origin o has no Origin Access Control"]
    reported.clear()
    oac = resources[0]
    resources[1] = policy_resource(
        DISTRIBUTION, "urn:p::cdn", {"origins": [origin]}, {"origins": [oac]}
    )
    policy.validate(StackValidationArgs(resources), lambda m, urn=None: reported.append(m))
    assert reported == []
