"""What the deployed function is configured with, read through the Lambda API."""

from __future__ import annotations

from typing import Any

from function.variant_spec import VariantSpec, parse_variants


def deployed_variants(lambda_client: Any, function_name: str) -> tuple[VariantSpec, ...]:
    """The variants the deployed function writes, from its ``VARIANTS`` environment variable
    (the defaults when it is unset); boto3 errors propagate."""
    config = lambda_client.get_function_configuration(FunctionName=function_name)
    raw = config.get("Environment", {}).get("Variables", {}).get("VARIANTS")
    return parse_variants(raw)
