"""The rules of :mod:`rules` as CrossGuard policies (``pulumi_policy``), all mandatory."""

from __future__ import annotations

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

from .rules import RESOURCE_RULES, STACK_RULES, ResourceRule, StackResource, StackRule

PACK_NAME = "image-pipeline-hardening"
IDENTITY_PROPS = ("id", "bucket")


def _known(resource: PolicyResource, key: str) -> Any:
    try:
        return resource.props.get(key)
    except UnknownValueError:
        return None


def to_stack_resource(resource: PolicyResource) -> StackResource:
    """The known identity properties and property dependencies of a stack resource.

    Values unknown during preview are left out; property dependencies are always known, so a
    companion resource still finds its bucket.
    """
    props = {key: value for key in IDENTITY_PROPS if (value := _known(resource, key)) is not None}
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


def stack_policy(rule: StackRule) -> StackValidationPolicy:
    """A policy reporting each bucket of the stack that lacks the rule's companion resource."""

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
        stack_policy(rule) for rule in STACK_RULES
    ]
