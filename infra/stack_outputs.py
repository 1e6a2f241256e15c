"""The stack outputs: the one list of what a stack exports, for CI and the operations tools.

Pure (no Pulumi import): ``__main__.py`` exports a :class:`StackOutputs` of Pulumi outputs, the
local pipeline builds one of plain strings, and ``ops`` validates what it reads against
:data:`REQUIRED_OUTPUT_NAMES`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class StackOutputs[Value]:
    """Every stack output, by its exported name.

    ``failure_queue_url`` is where events that failed every attempt wait: the async failure queue
    with direct ingest, the dead-letter queue with queue ingest. ``ingest_queue_url`` (queue
    ingest), ``cdn_domain_name`` (``cdn`` on) and ``notification_topic_arn`` (``notifications``
    on) are empty strings when off.
    """

    upload_bucket_name: Value
    upload_bucket_arn: Value
    processed_bucket_name: Value
    processed_bucket_arn: Value
    function_name: Value
    function_arn: Value
    function_role_arn: Value
    log_group_name: Value
    failure_queue_url: Value
    ingest_queue_url: Value
    cdn_domain_name: Value
    notification_topic_arn: Value

    def items(self) -> list[tuple[str, Value]]:
        """``(name, value)`` for every output, in declaration order."""
        return [(field.name, getattr(self, field.name)) for field in fields(self)]


STACK_OUTPUT_NAMES: tuple[str, ...] = tuple(field.name for field in fields(StackOutputs))
# Outputs that are empty strings while their feature is off (and absent from older stacks).
OPTIONAL_OUTPUT_NAMES: frozenset[str] = frozenset(
    {"ingest_queue_url", "cdn_domain_name", "notification_topic_arn"}
)
# What the operations tools need of every stack: present and non-empty.
REQUIRED_OUTPUT_NAMES: tuple[str, ...] = tuple(
    name for name in STACK_OUTPUT_NAMES if name not in OPTIONAL_OUTPUT_NAMES
)
