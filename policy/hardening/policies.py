"""The rules of :mod:`rules` as CrossGuard policies (``pulumi_policy``), all mandatory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .rules import (
    DISTRIBUTION_RULES,
    RESOURCE_RULES,
    STACK_RULES,
    DistributionRule,
    ResourceRule,
    StackResource,
    StackRule,
)

PACK_NAME = "image-pipeline-hardening"
IDENTITY_PROPS = ("id", "bucket", "origins")


def _known(resource: PolicyResource, key: str) -> Any:
    try:
        return resource.props.get(key)
    except UnknownValueError:
        return None


def _plain(value: Any) -> Any:
    """``value`` copied out of the policy proxy, with values unknown during preview as ``None``."""
    if isinstance(value, Mapping):
        return {key: _plain(_known_item(value, key)) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(_known_item(value, index)) for index in range(len(value))]
    return value


def _known_item(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except UnknownValueError:
        return None


def to_stack_resource(resource: PolicyResource) -> StackResource:
    """The known identity properties (and a distribution's origins) and property dependencies
    of a stack resource.

    Values unknown during preview are left out; property dependencies are always known, so a
    companion resource still finds its bucket and an origin its access control.
    """
    props = {
        key: _plain(value) for key in IDENTITY_PROPS if (value := _known(resource, key)) is not None
    }
    dependencies = {
        key: [dependency.urn for dependency in deps]
        for key, deps in (resource.property_dependencies or {}).items()
    }
    return StackResource(resource.resource_type, resource.urn, props, dependencies)


def resource_policy(rule: ResourceRule) -> ResourceValidationPolicy:
    """A policy reporting each message of ``rule.check`` for the resources of its types."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in rule.types:
            for message in rule.check(args.props):
                report_violation(message, None)

    return ResourceValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def stack_policy(rule: StackRule | DistributionRule) -> StackValidationPolicy:
    """A policy reporting each resource of the stack that breaks the rule."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [to_stack_resource(resource) for resource in args.resources]
        for urn, message in rule.check(resources):
            report_violation(message, urn)

    return StackValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def all_policies() -> list[Policy]:
    """Every policy of the pack: the resource rules, then the stack rules."""
    return [resource_policy(rule) for rule in RESOURCE_RULES] + [
        stack_policy(rule) for rule in (*STACK_RULES, *DISTRIBUTION_RULES)
    ]
