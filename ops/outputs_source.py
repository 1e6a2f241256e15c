"""Read and validate a stack's outputs: from the Pulumi CLI, a JSON file, or stdin.

CI passes the outputs of ``pulumi up`` as a file; an operator at a terminal names the stack and the
Pulumi CLI is asked (``pulumi stack output --json --stack NAME``). Besides the stack's outputs, a
file may hold ``variants`` (the function's ``VARIANTS`` JSON): the local stack writes it, so the
tools need no Lambda API to learn what the function writes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from infra.stack_outputs import REQUIRED_OUTPUT_NAMES

# An optional entry: the variants JSON the function is configured with.
VARIANTS_OUTPUT = "variants"
# How to pass an outputs file, from the command line and through make.
OUTPUTS_FILE_HINT = "pass an outputs file: --outputs FILE (make: OUTPUTS=FILE)"


class StackOutputsError(Exception):
    """The stack outputs could not be read or lack an expected key."""


def cannot_run_message(tool: str, reason: BaseException | str) -> str:
    """The one wording of "this tool could not start or finish its work": ``TOOL cannot run:
    REASON`` (the smoke test and the backfill exit 2 with it)."""
    return f"{tool} cannot run: {reason}"


def validate_outputs(
    outputs: Any, required: tuple[str, ...] = REQUIRED_OUTPUT_NAMES
) -> dict[str, str]:
    """Check ``outputs`` is an object holding every required key as a non-empty string."""
    if not isinstance(outputs, Mapping):
        raise StackOutputsError(
            f"stack outputs must be a JSON object, got {type(outputs).__name__}"
        )
    missing = [key for key in required if key not in outputs]
    if missing:
        found = ", ".join(sorted(outputs)) or "none"
        raise StackOutputsError(f"stack outputs lack {', '.join(missing)} (found: {found})")
    bad = [key for key in required if not isinstance(outputs[key], str) or not outputs[key]]
    if bad:
        raise StackOutputsError(f"stack outputs {', '.join(bad)} must be non-empty strings")
    optional = {VARIANTS_OUTPUT: outputs[VARIANTS_OUTPUT]} if VARIANTS_OUTPUT in outputs else {}
    if not all(isinstance(value, str) for value in optional.values()):
        raise StackOutputsError(f"stack output {VARIANTS_OUTPUT} must be a string of JSON")
    return {**{key: outputs[key] for key in required}, **optional}


def parse_outputs(text: str, source: str) -> dict[str, str]:
    """Decode the JSON text of stack outputs read from ``source`` and validate it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StackOutputsError(f"{source} is not valid JSON: {exc}") from exc
    return validate_outputs(data)


def outputs_from_stack(stack: str, cwd: Path | None = None) -> dict[str, str]:
    """Ask the Pulumi CLI for ``stack``'s outputs."""
    command = ["pulumi", "stack", "output", "--json", "--stack", stack]
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise StackOutputsError(
            f"the pulumi CLI is not installed: install it, or {OUTPUTS_FILE_HINT}"
        ) from exc
    if result.returncode != 0:
        raise StackOutputsError(
            f"`{' '.join(command)}` failed ({result.returncode}): {result.stderr.strip()}; "
            f"or {OUTPUTS_FILE_HINT}"
        )
    return parse_outputs(result.stdout, f"outputs of stack {stack}")


def outputs_from_file(path: str, stdin: TextIO | None = None) -> dict[str, str]:
    """Read outputs from a JSON file, or from stdin when ``path`` is ``-``."""
    if path == "-":
        return parse_outputs((stdin or sys.stdin).read(), "stdin")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise StackOutputsError(f"cannot read stack outputs from {path}: {exc}") from exc
    return parse_outputs(text, path)


def load_outputs(stack: str | None, outputs_path: str | None) -> dict[str, str]:
    """Outputs from ``outputs_path`` (a file or ``-``) when given, else from the Pulumi stack."""
    if outputs_path:
        return outputs_from_file(outputs_path)
    if stack:
        return outputs_from_stack(stack)
    raise StackOutputsError(f"name a stack (--stack dev, make: STACK=dev) or {OUTPUTS_FILE_HINT}")


def region_from_arn(arn: str) -> str:
    """The region field of an ARN (``arn:aws:lambda:REGION:ACCOUNT:function:NAME``)."""
    parts = arn.split(":")
    if len(parts) < 4 or not parts[3]:
        raise StackOutputsError(f"no region in ARN {arn!r}")
    return parts[3]
