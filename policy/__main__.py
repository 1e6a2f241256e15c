"""Entry point of the policy pack: `pulumi preview --policy-pack policy` runs this file."""

from hardening.policies import PACK_NAME, all_policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=all_policies(),
)
