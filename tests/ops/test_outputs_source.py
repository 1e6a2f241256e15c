"""ops.outputs_source: stack outputs read from the CLI, a file or stdin, and validated."""

import io
import json
import sys
from pathlib import Path

import pytest

from infra.stack_outputs import (
    OPTIONAL_OUTPUT_NAMES,
    REQUIRED_OUTPUT_NAMES,
    STACK_OUTPUT_NAMES,
)
from ops import backfill, smoke_test
from ops import outputs_source as stack_outputs
from ops.outputs_source import (
    StackOutputsError,
    load_outputs,
    outputs_from_file,
    region_from_arn,
    validate_outputs,
)

OUTPUTS = {key: f"value-of-{key}" for key in REQUIRED_OUTPUT_NAMES}


def fake_pulumi(tmp_path: Path, script: str) -> Path:
    """A ``pulumi`` executable on PATH that runs ``script`` (a real process, like the CLI)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "pulumi"
    exe.write_text(f"#!{sys.executable}\n{script}")
    exe.chmod(0o755)
    return bin_dir


def test_validate_outputs_keeps_the_expected_keys():
    assert validate_outputs({**OUTPUTS, "extra": "x"}) == OUTPUTS
    with pytest.raises(StackOutputsError, match="lack function_arn, log_group_name"):
        validate_outputs(
            {k: v for k, v in OUTPUTS.items() if k not in ("function_arn", "log_group_name")}
        )
    with pytest.raises(StackOutputsError, match="non-empty strings"):
        validate_outputs({**OUTPUTS, "function_name": ""})
    assert validate_outputs({**OUTPUTS, "variants": "[]"}) == {**OUTPUTS, "variants": "[]"}
    with pytest.raises(StackOutputsError, match="variants must be a string of JSON"):
        validate_outputs({**OUTPUTS, "variants": [{"suffix": "x"}]})
    with pytest.raises(StackOutputsError, match="JSON object"):
        validate_outputs([1, 2])


def test_outputs_from_file_and_stdin(tmp_path):
    path = tmp_path / "out.json"
    path.write_text(json.dumps(OUTPUTS))
    assert outputs_from_file(str(path)) == OUTPUTS
    assert outputs_from_file("-", io.StringIO(json.dumps(OUTPUTS))) == OUTPUTS
    path.write_text("{broken")
    with pytest.raises(StackOutputsError, match="not valid JSON"):
        outputs_from_file(str(path))
    with pytest.raises(StackOutputsError, match="cannot read"):
        outputs_from_file(str(tmp_path / "missing.json"))
    with pytest.raises(StackOutputsError, match="name a stack"):
        load_outputs(None, None)


def test_outputs_from_the_pulumi_cli(tmp_path, monkeypatch):
    script = (
        "import json, sys\n"
        "args = sys.argv[1:]\n"
        "if args[:3] != ['stack', 'output', '--json'] or args[3:] != ['--stack', 'dev']:\n"
        "    sys.exit('unexpected ' + ' '.join(args))\n"
        f"print(json.dumps({OUTPUTS!r}))\n"
    )
    monkeypatch.setenv("PATH", str(fake_pulumi(tmp_path, script)))
    assert stack_outputs.outputs_from_stack("dev") == OUTPUTS
    with pytest.raises(StackOutputsError, match="failed"):
        stack_outputs.outputs_from_stack("prod")


def test_missing_pulumi_cli_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(StackOutputsError, match=r"not installed: .*\(make: OUTPUTS=FILE\)"):
        stack_outputs.outputs_from_stack("dev")


def test_a_failing_cli_suggests_an_outputs_file(tmp_path, monkeypatch):
    script = "import sys\nsys.exit('error: no stack named dev found')\n"
    monkeypatch.setenv("PATH", str(fake_pulumi(tmp_path, script)))
    with pytest.raises(StackOutputsError, match=r"no stack named dev found; or pass an outputs"):
        stack_outputs.outputs_from_stack("dev")


@pytest.mark.parametrize(
    ("tool", "main"), [("smoke test", smoke_test.main), ("backfill", backfill.main)]
)
def test_smoke_test_and_backfill_word_a_failure_to_start_alike(
    tool, main, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi CLI
    assert main(["--stack", "dev"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"{tool} cannot run: the pulumi CLI is not installed: install it, "
        "or pass an outputs file: --outputs FILE (make: OUTPUTS=FILE)\n"
    )


def test_region_from_arn():
    assert region_from_arn("arn:aws:lambda:eu-west-1:123456789012:function:f") == "eu-west-1"
    with pytest.raises(StackOutputsError):
        region_from_arn("arn:aws:s3:::bucket")


def test_outputs_of_features_that_are_off_may_be_empty_or_absent():
    assert set(REQUIRED_OUTPUT_NAMES) | OPTIONAL_OUTPUT_NAMES == set(STACK_OUTPUT_NAMES)
    assert validate_outputs({**OUTPUTS, "cdn_domain_name": "", "ingest_queue_url": ""}) == OUTPUTS
    assert validate_outputs(OUTPUTS) == OUTPUTS
