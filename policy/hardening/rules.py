"""The hardening rules as pure functions of resource properties (engine names, camelCase).

Resource rules take one resource's properties and return violation messages (empty when it
complies). Stack rules take every resource of the stack and return ``(urn, message)`` pairs.
Nothing here needs a Pulumi engine, so each rule is tested with plain dicts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
ENCRYPTION_TYPES = frozenset(
    {
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    }
)
VERSIONING_TYPES = frozenset(
    {"aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"}
)
PUBLIC_ACCESS_BLOCK_TYPES = frozenset({"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"})
BUCKET_POLICY_TYPES = frozenset({"aws:s3/bucketPolicy:BucketPolicy"})
OWNERSHIP_TYPES = frozenset({"aws:s3/bucketOwnershipControls:BucketOwnershipControls"})
LAMBDA_PERMISSION_TYPES = frozenset({"aws:lambda/permission:Permission"})
ROLE_TYPES = frozenset({"aws:iam/role:Role"})
POLICY_DOCUMENT_TYPES = frozenset(
    {
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/policy:Policy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    }
)
LOG_GROUP_TYPES = frozenset({"aws:cloudwatch/logGroup:LogGroup"})
POLICY_ATTACHMENT_TYPES = frozenset(
    {
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
    }
)
EXCLUSIVE_ATTACHMENT_TYPES = frozenset(
    {
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
        "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
    }
)
# Resources whose ``policy`` property is a resource policy (who may act on the resource).
RESOURCE_POLICY_TYPES = frozenset(
    {
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:sqs/queue:Queue",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:sns/topic:Topic",
        "aws:kms/key:Key",
        "aws:kms/keyPolicy:KeyPolicy",
    }
)
FUNCTION_URL_TYPES = frozenset({"aws:lambda/functionUrl:FunctionUrl"})
DISTRIBUTION_TYPES = frozenset({"aws:cloudfront/distribution:Distribution"})
ORIGIN_ACCESS_CONTROL_TYPES = frozenset({"aws:cloudfront/originAccessControl:OriginAccessControl"})
ORIGIN_ACCESS_IDENTITY_TYPES = frozenset(
    {"aws:cloudfront/originAccessIdentity:OriginAccessIdentity"}
)
CLOUDFRONT_PRINCIPAL = "cloudfront.amazonaws.com"
# An S3 origin's domain: <bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com or the
# legacy <bucket>.s3-<region>.amazonaws.com (a website endpoint is a custom origin, not S3's API).
S3_ORIGIN_DOMAIN = re.compile(r"\.s3([.-][a-z0-9-]+)?\.amazonaws\.com(\.cn)?$")
DISTRIBUTION_ARN = re.compile(r"^arn:aws[a-z-]*:cloudfront::\d{12}:distribution/[A-Z0-9]+$")

SSE_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)
S3_PRINCIPAL = "s3.amazonaws.com"
ACCOUNT_ID = re.compile(r"^\d{12}$")
WILDCARDS = frozenset("*?")
# AWS managed policies granting administrator or whole-service access.
PRIVILEGED_MANAGED_POLICY = re.compile(
    r"^arn:[\w-]+:iam::aws:policy/(.*/)?"
    r"(AdministratorAccess(-\w+)?|PowerUserAccess|IAMFullAccess|\w*FullAccess(V\d+)?)$"
)
# Condition keys that pin the caller (or the service's source) to an account, organization,
# network or resource: a wildcard principal limited by one of them is not public.
CALLER_CONDITION_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:principalorgpaths",
    }
)
MATCHING_OPERATORS = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"}
)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | Mapping):
        return [value]
    return list(value)


def _document(value: Any) -> Mapping[str, Any] | None:
    """A policy document given as JSON text or as an object; ``None`` when unparseable."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, Mapping) else None
    return None


def check_encryption(props: Mapping[str, Any]) -> list[str]:
    """Default encryption: every rule applies SSE-S3 or SSE-KMS by default."""
    rules = _as_list(props.get("rules"))
    if not rules:
        return ["server-side encryption configuration has no rule"]
    violations = []
    for index, rule in enumerate(rules):
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        algorithm = default.get("sseAlgorithm")
        if algorithm not in SSE_ALGORITHMS:
            violations.append(
                f"rules[{index}] must apply {sorted(SSE_ALGORITHMS)} by default, got {algorithm!r}"
            )
    return violations


def check_versioning(props: Mapping[str, Any]) -> list[str]:
    """Versioning is ``Enabled`` (not ``Suspended`` or ``Disabled``)."""
    status = (props.get("versioningConfiguration") or {}).get("status")
    if status != "Enabled":
        return [f"bucket versioning must be 'Enabled', got {status!r}"]
    return []


def check_public_access_block(props: Mapping[str, Any]) -> list[str]:
    """All four public access blocks are on."""
    off = [flag for flag in PUBLIC_ACCESS_FLAGS if props.get(flag) is not True]
    if off:
        return [f"public access block must set {', '.join(off)} to true"]
    return []


def check_ownership_controls(props: Mapping[str, Any]) -> list[str]:
    """Object ownership is ``BucketOwnerEnforced`` (ACLs disabled)."""
    rule = props.get("rule") or {}
    ownership = rule.get("objectOwnership") if isinstance(rule, Mapping) else None
    if ownership != "BucketOwnerEnforced":
        return [f"object ownership must be 'BucketOwnerEnforced', got {ownership!r}"]
    return []


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if principal != "*" and not (isinstance(principal, Mapping) and principal.get("AWS") == "*"):
        return False
    actions = set(_as_list(statement.get("Action")))
    if not actions & {"*", "s3:*"}:
        return False
    condition = (statement.get("Condition") or {}).get("Bool") or {}
    if str(condition.get("aws:SecureTransport")).lower() != "false":
        return False
    resources = [str(resource) for resource in _as_list(statement.get("Resource"))]
    covers_bucket = any(not resource.endswith("/*") for resource in resources)
    covers_objects = any(resource.endswith("/*") for resource in resources)
    return covers_bucket and covers_objects


def check_tls_only_bucket_policy(props: Mapping[str, Any]) -> list[str]:
    """The bucket policy denies every request without TLS, to the bucket and its objects."""
    document = _document(props.get("policy"))
    if document is None:
        return ["bucket policy is not a JSON policy document"]
    statements = [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]
    if not any(_denies_insecure_transport(statement) for statement in statements):
        return [
            "bucket policy must deny s3:* to every principal when aws:SecureTransport is false, "
            "on the bucket and on its objects"
        ]
    return []


def check_lambda_permission(props: Mapping[str, Any]) -> list[str]:
    """A permission letting S3 invoke a function names the source bucket and account."""
    if props.get("principal") != S3_PRINCIPAL:
        return []
    violations = []
    account = props.get("sourceAccount")
    if not isinstance(account, str) or not ACCOUNT_ID.match(account):
        violations.append(
            f"lambda permission for {S3_PRINCIPAL} must set sourceAccount (confused deputy), "
            f"got {account!r}"
        )
    if not props.get("sourceArn"):
        violations.append(f"lambda permission for {S3_PRINCIPAL} must set sourceArn (the bucket)")
    return violations


def _has_wildcard(value: Any) -> bool:
    return any(WILDCARDS & set(str(item)) for item in _as_list(value))


def _broad_resource(resource: str) -> bool:
    """Whether a resource pattern spans more than one named resource's own objects.

    ``*``, a wildcard in the ARN's partition, service or account, or a wildcard in the first
    segment of the resource's name (``arn:aws:s3:::*/*``, ``arn:aws:s3:::app-*``,
    ``role/*``) are broad; ``bucket/*`` or ``log-group:/aws/lambda/fn:*`` are not.
    """
    if not _has_wildcard(resource):
        return False
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return True
    _, partition, service, _region, account, name = parts
    if any(_has_wildcard(part) for part in (partition, service, account)):
        return True
    if service != "s3" and (separator := re.search(r"[/:]", name)):
        name = name[separator.end() :]  # drop the resource type: role/, function:, log-group:
    segments = [segment for segment in re.split(r"[/:]", name) if segment]
    return not segments or _has_wildcard(segments[0])


def check_policy_document(document: Any, where: str = "policy") -> list[str]:
    """No ``Allow`` statement with a wildcard (``*`` or ``?``) in an action, a resource that
    spans other resources (see :func:`_broad_resource`), NotAction or NotResource."""
    parsed = _document(document)
    if parsed is None:
        return [f"{where} is not a JSON policy document"]
    violations = []
    statements = _as_list(parsed.get("Statement"))
    for index, statement in enumerate(statements):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        label = f"{where} statement {statement.get('Sid') or index}"
        wildcard_actions = [a for a in _as_list(statement.get("Action")) if _has_wildcard(a)]
        if wildcard_actions:
            violations.append(f"{label} allows wildcard action(s) {wildcard_actions}")
        resources = [str(r) for r in _as_list(statement.get("Resource"))]
        if "*" in resources:
            violations.append(f"{label} allows every resource ('*')")
        broad = [r for r in resources if r != "*" and _broad_resource(r)]
        if broad:
            violations.append(f"{label} allows wildcard resource(s) {broad}")
        for negated in ("NotAction", "NotResource"):
            if negated in statement:
                violations.append(f"{label} uses {negated} with Allow")
    return violations


def _principal_values(principal: Any) -> list[str]:
    if isinstance(principal, Mapping):
        return [str(v) for values in principal.values() for v in _as_list(values)]
    return [str(v) for v in _as_list(principal)]


def _pins_caller(value: Any) -> bool:
    """Whether a condition value names something specific: not only wildcards, and an ARN with
    a concrete account (or, for an ARN without one such as a bucket's, a concrete name)."""
    text = str(value)
    if not text or set(text) <= WILDCARDS:
        return False
    parts = text.split(":", 5)
    if text.startswith("arn:") and len(parts) == 6:
        account = parts[4]
        if account:
            return bool(ACCOUNT_ID.match(account)) and not _has_wildcard(parts[:3])
        return not _broad_resource(text)
    return True


def _restricts_caller(condition: Any) -> bool:
    """Whether a Condition pins the caller to an account, organization, network or source
    resource (a matching operator on such a key, every value specific, no ``IfExists``)."""
    if not isinstance(condition, Mapping):
        return False
    for operator, pairs in condition.items():
        base = str(operator).lower().split(":")[-1]
        if base not in MATCHING_OPERATORS or not isinstance(pairs, Mapping):
            continue
        for key, value in pairs.items():
            values = _as_list(value)
            if (
                str(key).lower() in CALLER_CONDITION_KEYS
                and values
                and all(map(_pins_caller, values))
            ):
                return True
    return False


def public_statements(document: Any, where: str) -> list[str]:
    """Violations for ``Allow`` statements open to any principal: a wildcard in a principal
    (``"*"``, ``{"AWS": "*"}``, ``["*"]``, ``arn:aws:iam::*:root``) not limited by a condition
    on the caller (see :func:`_restricts_caller`), or ``NotPrincipal``."""
    if document in (None, ""):
        return []
    parsed = _document(document)
    if parsed is None:
        return [f"{where} is not a JSON policy document"]
    violations = []
    for index, statement in enumerate(_as_list(parsed.get("Statement"))):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        label = f"{where} statement {statement.get('Sid') or index}"
        if "NotPrincipal" in statement:
            violations.append(f"{label} uses NotPrincipal with Allow")
        wildcards = [v for v in _principal_values(statement.get("Principal")) if _has_wildcard(v)]
        if wildcards and not _restricts_caller(statement.get("Condition")):
            violations.append(
                f"{label} allows any principal {wildcards} without a condition on the caller's "
                "account, organization or source"
            )
    return violations


def check_resource_policy_not_public(props: Mapping[str, Any]) -> list[str]:
    """A resource policy (bucket, queue, topic, key) opens nothing to any principal."""
    return public_statements(props.get("policy"), "resource policy")


def check_trust_policy_not_public(props: Mapping[str, Any]) -> list[str]:
    """A role's trust policy lets no wildcard principal assume it."""
    return public_statements(props.get("assumeRolePolicy"), "trust policy")


def check_cloudfront_reads_pinned(props: Mapping[str, Any]) -> list[str]:
    """A bucket policy allowing the CloudFront service pins ``AWS:SourceArn`` to a distribution
    of one account; without it any distribution, in any account, could read the bucket."""
    document = _document(props.get("policy"))
    if document is None:
        return []
    violations = []
    for index, statement in enumerate(_as_list(document.get("Statement"))):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        if CLOUDFRONT_PRINCIPAL not in _principal_values(statement.get("Principal")):
            continue
        pinned = [
            value
            for operator, pairs in (statement.get("Condition") or {}).items()
            if str(operator).lower() in ("stringequals", "arnequals") and isinstance(pairs, Mapping)
            for key, values in pairs.items()
            if str(key).lower() == "aws:sourcearn"
            for value in _as_list(values)
        ]
        if not pinned or not all(DISTRIBUTION_ARN.match(str(value)) for value in pinned):
            label = statement.get("Sid") or index
            violations.append(
                f"bucket policy statement {label} lets CloudFront read without pinning "
                "AWS:SourceArn to a distribution ARN (StringEquals)"
            )
    return violations


def check_lambda_permission_not_public(props: Mapping[str, Any]) -> list[str]:
    """A Lambda permission for a wildcard principal names the source account, ARN or org."""
    principal = props.get("principal")
    if not _has_wildcard(principal):
        return []
    account = props.get("sourceAccount")
    limits = [
        isinstance(account, str) and bool(ACCOUNT_ID.match(account)),
        _pins_caller(props.get("sourceArn") or ""),
        _pins_caller(props.get("principalOrgId") or ""),
    ]
    if any(limits):
        return []
    return [
        f"lambda permission allows any principal ({principal!r}) without sourceAccount, "
        "sourceArn or principalOrgId"
    ]


def check_function_url_auth(props: Mapping[str, Any]) -> list[str]:
    """A Lambda function URL requires IAM authentication."""
    auth = props.get("authorizationType")
    if auth != "AWS_IAM":
        return [f"function URL must use authorizationType 'AWS_IAM', got {auth!r}"]
    return []


def check_no_privileged_managed_policy(props: Mapping[str, Any]) -> list[str]:
    """No attachment of an AWS managed administrator, power-user or full-access policy
    (``policyArn``, ``policyArns`` or a role's ``managedPolicyArns``)."""
    arns = [
        str(arn)
        for key in ("policyArn", "policyArns", "managedPolicyArns")
        for arn in _as_list(props.get(key))
    ]
    return [
        f"attaches the privileged managed policy {arn}"
        for arn in arns
        if PRIVILEGED_MANAGED_POLICY.match(arn)
    ]


def check_role_inline_policies(props: Mapping[str, Any]) -> list[str]:
    """Every inline policy of a role passes :func:`check_policy_document`."""
    violations = []
    for index, inline in enumerate(_as_list(props.get("inlinePolicies"))):
        if not isinstance(inline, Mapping) or inline.get("policy") is None:
            continue
        where = f"inline policy {inline.get('name') or index}"
        violations.extend(check_policy_document(inline["policy"], where))
    return violations


def check_iam_policy_resource(props: Mapping[str, Any]) -> list[str]:
    """The ``policy`` document of a RolePolicy, Policy, UserPolicy or GroupPolicy."""
    return check_policy_document(props.get("policy"))


def check_log_group_retention(props: Mapping[str, Any]) -> list[str]:
    """Log groups expire their events (retention set, not 0 = never)."""
    retention = props.get("retentionInDays")
    # The engine passes numbers as floats (``7.0``).
    is_number = isinstance(retention, int | float) and not isinstance(retention, bool)
    if not is_number or retention <= 0 or retention != int(retention):
        return [
            f"log group must set retentionInDays to a positive number of days, got {retention!r}"
        ]
    return []


@dataclass(frozen=True)
class ResourceRule:
    """A rule checking each resource of the given types on its own."""

    name: str
    types: frozenset[str]
    check: Callable[[Mapping[str, Any]], list[str]]
    description: str


RESOURCE_RULES: tuple[ResourceRule, ...] = (
    ResourceRule(
        "s3-encryption-by-default",
        ENCRYPTION_TYPES,
        check_encryption,
        "S3 default encryption applies SSE-S3 or SSE-KMS.",
    ),
    ResourceRule(
        "s3-versioning-enabled",
        VERSIONING_TYPES,
        check_versioning,
        "S3 bucket versioning is Enabled.",
    ),
    ResourceRule(
        "s3-public-access-fully-blocked",
        PUBLIC_ACCESS_BLOCK_TYPES,
        check_public_access_block,
        "S3 public access blocks: all four on.",
    ),
    ResourceRule(
        "s3-bucket-owner-enforced",
        OWNERSHIP_TYPES,
        check_ownership_controls,
        "S3 object ownership is BucketOwnerEnforced (ACLs disabled).",
    ),
    ResourceRule(
        "s3-bucket-policy-tls-only",
        BUCKET_POLICY_TYPES,
        check_tls_only_bucket_policy,
        "S3 bucket policies deny requests made without TLS.",
    ),
    ResourceRule(
        "lambda-permission-s3-source-account",
        LAMBDA_PERMISSION_TYPES,
        check_lambda_permission,
        "Lambda permissions for S3 name the source account and bucket.",
    ),
    ResourceRule(
        "iam-no-wildcard-in-role-inline-policies",
        ROLE_TYPES,
        check_role_inline_policies,
        "IAM role inline policies allow no wildcard action and no wildcard resource.",
    ),
    ResourceRule(
        "iam-no-wildcard-in-policies",
        POLICY_DOCUMENT_TYPES,
        check_iam_policy_resource,
        "IAM policies allow no wildcard action and no wildcard resource.",
    ),
    ResourceRule(
        "iam-no-privileged-managed-policy",
        POLICY_ATTACHMENT_TYPES | EXCLUSIVE_ATTACHMENT_TYPES | ROLE_TYPES,
        check_no_privileged_managed_policy,
        "No AWS managed administrator, power-user or full-access policy is attached.",
    ),
    ResourceRule(
        "iam-trust-policy-not-public",
        ROLE_TYPES,
        check_trust_policy_not_public,
        "Role trust policies let no wildcard principal assume the role.",
    ),
    ResourceRule(
        "resource-policy-not-public",
        RESOURCE_POLICY_TYPES,
        check_resource_policy_not_public,
        "Bucket, queue, topic and key policies allow nothing to a wildcard principal.",
    ),
    ResourceRule(
        "lambda-permission-not-public",
        LAMBDA_PERMISSION_TYPES,
        check_lambda_permission_not_public,
        "Lambda permissions for a wildcard principal name the source account, ARN or org.",
    ),
    ResourceRule(
        "lambda-function-url-iam-auth",
        FUNCTION_URL_TYPES,
        check_function_url_auth,
        "Lambda function URLs require IAM authentication.",
    ),
    ResourceRule(
        "s3-cloudfront-read-pinned-to-distribution",
        BUCKET_POLICY_TYPES,
        check_cloudfront_reads_pinned,
        "Bucket policies let CloudFront read only for one distribution (AWS:SourceArn).",
    ),
    ResourceRule(
        "log-group-retention",
        LOG_GROUP_TYPES,
        check_log_group_retention,
        "CloudWatch log groups set a retention period.",
    ),
)


@dataclass(frozen=True)
class StackResource:
    """What the stack rules need of one resource: identity, known properties, and the URNs each
    property depends on."""

    type: str
    urn: str
    props: Mapping[str, Any]
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


def _bucket_identities(bucket: StackResource) -> set[str]:
    return {
        str(value)
        for value in (bucket.props.get("id"), bucket.props.get("bucket"))
        if isinstance(value, str) and value
    }


def _belongs_to(companion: StackResource, bucket: StackResource) -> bool:
    if bucket.urn in companion.property_dependencies.get("bucket", ()):
        return True
    target = companion.props.get("bucket")
    return isinstance(target, str) and target in _bucket_identities(bucket)


def buckets_missing_companion(
    resources: Iterable[StackResource], companion_types: frozenset[str], what: str
) -> list[tuple[str, str]]:
    """``(bucket urn, message)`` for every bucket with no companion resource of those types.

    A companion belongs to a bucket when its ``bucket`` property depends on the bucket (known even
    during preview) or equals the bucket's name or id.
    """
    resources = list(resources)
    companions = [r for r in resources if r.type in companion_types]
    violations = []
    for bucket in (r for r in resources if r.type in BUCKET_TYPES):
        if not any(_belongs_to(companion, bucket) for companion in companions):
            name = next(iter(sorted(_bucket_identities(bucket))), bucket.urn)
            violations.append((bucket.urn, f"S3 bucket {name} has no {what}"))
    return violations


@dataclass(frozen=True)
class StackRule:
    """A rule requiring every S3 bucket of the stack to have a companion resource."""

    name: str
    companion_types: frozenset[str]
    what: str

    def check(self, resources: Iterable[StackResource]) -> list[tuple[str, str]]:
        """``(bucket urn, message)`` for every bucket lacking the companion."""
        return buckets_missing_companion(resources, self.companion_types, self.what)

    @property
    def description(self) -> str:
        """One line for the policy pack."""
        return f"Every S3 bucket has a {self.what}."


def _s3_origin(origin: Mapping[str, Any]) -> bool:
    domain = origin.get("domainName")
    return "s3OriginConfig" in origin or (
        isinstance(domain, str) and bool(S3_ORIGIN_DOMAIN.search(domain))
    )


def distributions_without_oac(resources: Iterable[StackResource]) -> list[tuple[str, str]]:
    """``(urn, message)`` for every S3 origin of a distribution not signed by an Origin Access
    Control of the stack (``originAccessControlId`` set, or depending on one during preview), for
    every legacy origin access identity in use, and for every OriginAccessIdentity resource."""
    resources = list(resources)
    controls = [r for r in resources if r.type in ORIGIN_ACCESS_CONTROL_TYPES]
    control_urns = {r.urn for r in controls}
    violations = [
        (r.urn, "CloudFront origin access identity (legacy OAI): use Origin Access Control")
        for r in resources
        if r.type in ORIGIN_ACCESS_IDENTITY_TYPES
    ]
    for distribution in (r for r in resources if r.type in DISTRIBUTION_TYPES):
        depends_on_control = bool(
            control_urns & set(distribution.property_dependencies.get("origins", ()))
        )
        for origin in _as_list(distribution.props.get("origins")):
            if not isinstance(origin, Mapping) or not _s3_origin(origin):
                continue
            name = origin.get("originId") or origin.get("domainName")
            identity = (origin.get("s3OriginConfig") or {}).get("originAccessIdentity")
            if identity:
                violations.append(
                    (
                        distribution.urn,
                        f"S3 origin {name} uses a legacy origin access identity: "
                        "use Origin Access Control",
                    )
                )
            elif not origin.get("originAccessControlId") and not depends_on_control:
                violations.append(
                    (distribution.urn, f"S3 origin {name} has no Origin Access Control")
                )
    return violations


@dataclass(frozen=True)
class DistributionRule:
    """A rule over the stack's CloudFront distributions and their origin access."""

    name: str
    description: str

    def check(self, resources: Iterable[StackResource]) -> list[tuple[str, str]]:
        """``(urn, message)`` for every S3 origin without Origin Access Control."""
        return distributions_without_oac(resources)


STACK_RULES: tuple[StackRule, ...] = (
    StackRule("s3-bucket-has-encryption", ENCRYPTION_TYPES, "server-side encryption configuration"),
    StackRule("s3-bucket-has-versioning", VERSIONING_TYPES, "versioning configuration"),
    StackRule(
        "s3-bucket-has-public-access-block", PUBLIC_ACCESS_BLOCK_TYPES, "public access block"
    ),
    StackRule("s3-bucket-has-tls-only-policy", BUCKET_POLICY_TYPES, "bucket policy (TLS-only)"),
    StackRule("s3-bucket-has-ownership-controls", OWNERSHIP_TYPES, "ownership controls"),
)
DISTRIBUTION_RULES: tuple[DistributionRule, ...] = (
    DistributionRule(
        "cloudfront-s3-origin-uses-oac",
        "CloudFront reads S3 origins through Origin Access Control, never a legacy OAI.",
    ),
)


def check_resource(type_token: str, props: Mapping[str, Any]) -> dict[str, list[str]]:
    """Violations of every resource rule applying to a resource, by rule name."""
    return {
        rule.name: violations
        for rule in RESOURCE_RULES
        if type_token in rule.types and (violations := rule.check(props))
    }


def check_stack(resources: Sequence[StackResource]) -> dict[str, list[tuple[str, str]]]:
    """Violations of every rule (resource and stack rules) over a whole stack, by rule name."""
    found: dict[str, list[tuple[str, str]]] = {}
    for resource in resources:
        for name, messages in check_resource(resource.type, resource.props).items():
            found.setdefault(name, []).extend((resource.urn, message) for message in messages)
    for rule in (*STACK_RULES, *DISTRIBUTION_RULES):
        if violations := rule.check(resources):
            found[rule.name] = violations
    return found
