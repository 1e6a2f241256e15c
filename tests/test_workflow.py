"""The GitHub Actions workflow: triggers, jobs, steps, OIDC permissions, no long-lived keys."""

from __future__ import annotations

import re
import subprocess
import sys
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
    assert workflow["permissions"] == {}  # each job asks for what it needs


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
    assert checks["permissions"] == {"contents": "read"}
    assert not steps_using(checks, "aws-actions/configure-aws-credentials")
    assert "secrets." not in yaml.safe_dump(checks)


def test_no_long_lived_aws_keys_are_referenced():
    text = WORKFLOW.read_text()
    assert not re.search(r"AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)", text)
    assert not re.search(r"aws-(access-key-id|secret-access-key)", text)
    secrets = set(re.findall(r"secrets\.([A-Z0-9_]+)", text))
    assert secrets == {"AWS_ROLE_ARN", "PULUMI_ACCESS_TOKEN"}


SHA_PIN = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+$")
LEAST_PERMISSIONS = {
    "checks": {"contents": "read"},
    "preview": {"contents": "read", "id-token": "write", "pull-requests": "write"},
    "deploy": {"contents": "read", "id-token": "write"},
}


def test_actions_are_pinned_to_a_commit_with_the_release_in_a_comment(workflow):
    uses_lines = [line for line in WORKFLOW.read_text().splitlines() if "uses:" in line]
    steps = [step for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert len(uses_lines) == len(steps) > 0
    for line in uses_lines:
        assert SHA_PIN.match(line), line
    for step in steps:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_one_commit_per_action(workflow):
    pins: dict[str, set[str]] = {}
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                action, sha = step["uses"].split("@")
                pins.setdefault(action, set()).add(sha)
    assert all(len(shas) == 1 for shas in pins.values()), pins


def test_checkout_never_persists_the_token(workflow):
    for name, job in workflow["jobs"].items():
        (checkout,) = steps_using(job, "actions/checkout")
        assert checkout["with"]["persist-credentials"] is False, name


def test_every_job_gets_the_least_permissions(workflow):
    assert {name: job["permissions"] for name, job in workflow["jobs"].items()} == (
        LEAST_PERMISSIONS
    )


def test_secrets_and_oidc_only_inside_an_environment(workflow):
    """Jobs that read a secret or mint an OIDC token run in a GitHub environment (its protection
    rules gate them); the preview, which runs pull-request code, has its own."""
    for name, job in workflow["jobs"].items():
        if "secrets." in yaml.safe_dump(job) or job["permissions"].get("id-token") == "write":
            assert job.get("environment"), name
    assert workflow["jobs"]["preview"]["environment"] == "preview"
    assert workflow["jobs"]["deploy"]["environment"] == "dev"
    assert "secrets." not in yaml.safe_dump({k: v for k, v in workflow.items() if k != "jobs"})


def test_zizmor_is_pinned_and_run_by_make_lint():
    requirements = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert any(re.fullmatch(r"zizmor==\d+\.\d+\.\d+", line) for line in requirements)
    makefile = (ROOT / "Makefile").read_text()
    lint = makefile[makefile.index("\nlint:") : makefile.index("\nformat:")]
    assert "$(VENV)/bin/zizmor --offline .github/workflows" in lint


def test_zizmor_finds_nothing_at_its_default_level():
    zizmor = Path(sys.executable).parent / "zizmor"
    result = subprocess.run(
        [str(zizmor), "--offline", "--no-progress", str(WORKFLOW.parent)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr
