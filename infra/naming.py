"""Readable physical names and the tags every taggable resource carries. Pure functions."""

from __future__ import annotations

PROJECT = "image-pipeline"


def physical_name(environment: str, purpose: str, suffix: str, project: str = PROJECT) -> str:
    """``<project>-<environment>-<purpose>-<suffix>``: a readable, unique S3/Lambda name.

    The result is lower case, as bucket names must be.
    """
    return f"{project}-{environment}-{purpose}-{suffix}".lower()


def standard_tags(environment: str, project: str = PROJECT) -> dict[str, str]:
    """The tags on every taggable resource of the stack."""
    return {"Project": project, "Environment": environment, "ManagedBy": "pulumi"}
