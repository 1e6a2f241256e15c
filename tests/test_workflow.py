"""The GitHub Actions workflow: triggers, jobs, steps, OIDC permissions, no long-lived keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "pipeline.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the bare key `on` as the boolean True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").split("@")[0] == action]


def run_lines(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_triggers_are_pull_requests_and_pushes_to_main(workflow):
    assert workflow["on"]["pull_request"]["branches"] == ["main"]
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read"}


def test_every_event_runs_lint_and_tests(workflow):
    checks = workflow["jobs"]["checks"]
    assert "if" not in checks
    assert "make lint test" in run_lines(checks)
    (python,) = steps_using(checks, "actions/setup-python")
    assert python["with"]["python-version-file"] == ".python-version"


def test_pull_requests_preview_the_dev_stack_under_the_policy_pack(workflow):
    preview = workflow["jobs"]["preview"]
    assert "github.event_name == 'pull_request'" in preview["if"]
    assert preview["needs"] == "checks"
    (pulumi,) = steps_using(preview, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["stack-name"] == "${{ env.PULUMI_STACK }}"
    assert workflow["env"]["PULUMI_STACK"] == "dev"
    assert pulumi["with"]["policyPacks"] == "policy"
    assert (ROOT / "policy" / "PulumiPolicy.yaml").is_file()


def test_main_deploys_then_smoke_tests_from_the_stack_outputs(workflow):
    deploy = workflow["jobs"]["deploy"]
    assert "github.event_name == 'push'" in deploy["if"]
    assert "refs/heads/main" in deploy["if"]
    assert deploy["concurrency"]["cancel-in-progress"] is False
    names = [step.get("uses", step.get("run", "")) for step in deploy["steps"]]
    (pulumi,) = steps_using(deploy, "pulumi/actions")
    assert pulumi["with"]["command"] == "up"
    up = deploy["steps"].index(pulumi)
    outputs = next(i for i, n in enumerate(names) if "pulumi stack output --json" in n)
    smoke = next(i for i, n in enumerate(names) if "ops.smoke_test" in n)
    assert up < outputs < smoke
    assert "> stack-outputs.json" in names[outputs]
    assert "--outputs stack-outputs.json" in names[smoke]


@pytest.mark.parametrize("job_name", ["preview", "deploy"])
def test_aws_access_is_oidc_before_pulumi_runs(workflow, job_name):
    job = workflow["jobs"][job_name]
    assert job["permissions"]["id-token"] == "write"
    (aws,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert aws["with"]["role-to-assume"] == "${{ secrets.AWS_ROLE_ARN }}"
    assert "aws-access-key-id" not in aws["with"]
    assert "aws-secret-access-key" not in aws["with"]
    (pulumi,) = steps_using(job, "pulumi/actions")
    assert job["steps"].index(aws) < job["steps"].index(pulumi)


def test_checks_job_gets_no_cloud_credentials(workflow):
    checks = workflow["jobs"]["checks"]
    assert "permissions" not in checks
    assert not steps_using(checks, "aws-actions/configure-aws-credentials")
    assert "secrets." not in yaml.safe_dump(checks)


def test_no_long_lived_aws_keys_are_referenced():
    text = WORKFLOW.read_text()
    assert not re.search(r"AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)", text)
    assert not re.search(r"aws-(access-key-id|secret-access-key)", text)
    secrets = set(re.findall(r"secrets\.([A-Z0-9_]+)", text))
    assert secrets == {"AWS_ROLE_ARN", "PULUMI_ACCESS_TOKEN"}


def test_actions_are_pinned_to_a_version(workflow):
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]
