"""The smoke test end to end against the local pipeline: the embedded S3 endpoint (reached
through ``AWS_ENDPOINT_URL``, as any boto3 client) and the watch-mode dispatcher running the
real handler."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from function.variant_spec import DEFAULT_VARIANTS, parse_variants
from local.local_pipeline import FunctionConfig, LocalPipeline
from local.local_s3 import LocalS3
from ops import smoke_test

CUSTOM_VARIANTS = json.dumps(
    [
        {
            "suffix": "card",
            "format": "WEBP",
            "quality": 75,
            "max_width": 200,
            "max_height": 200,
            "fit": "cover",
        },
        {"suffix": "wide", "format": "PNG", "max_width": 320},
        {"suffix": "tiny", "format": "AVIF", "quality": 60, "max_height": 48},
    ]
)


@pytest.fixture
def endpoint(monkeypatch) -> Iterator[LocalS3]:
    """The embedded S3 endpoint, with ``AWS_ENDPOINT_URL`` naming it (set before the pipeline
    patches the environment, so both restore cleanly)."""
    with LocalS3() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint_url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        yield server


def write_outputs(tmp_path, pipeline: LocalPipeline, **extra: str):
    path = tmp_path / "stack-outputs.json"
    path.write_text(json.dumps({**pipeline.stack_outputs(), **extra}))
    return path


def all_versions(pipeline: LocalPipeline, bucket: str) -> list[str]:
    response = pipeline.client.list_object_versions(Bucket=bucket)
    return [v["Key"] for v in response.get("Versions", []) + response.get("DeleteMarkers", [])]


def test_passes_quietly_with_the_variants_from_the_outputs_file(endpoint, tmp_path, capsys, caplog):
    config = FunctionConfig(variants_json=CUSTOM_VARIANTS)
    with LocalPipeline(endpoint, config=config) as pipeline, pipeline.watch(interval_s=0.1):
        outputs = write_outputs(tmp_path, pipeline, variants=CUSTOM_VARIANTS)
        code = smoke_test.main(["--outputs", str(outputs), "--timeout", "60"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert all_versions(pipeline, pipeline.upload_bucket) == []
        assert all_versions(pipeline, pipeline.processed_bucket) == []
        created, removed = pipeline.deliveries[:2]
    assert created.key.startswith("smoke/")
    assert len(created.result.processed[0].outputs) == 3
    assert removed.result.deleted[0].key == created.key  # the delete check's removal event
    assert re.fullmatch(
        r"smoke test passed: 3 variant\(s\), all within \d+\.\d\ds; "
        r"manifest complete, every sha256 matches the stored bytes\n",
        out,
    )
    assert err == ""
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_verbose_shows_each_variant_and_warns_without_known_variants(
    endpoint, tmp_path, capsys, caplog
):
    with LocalPipeline(endpoint) as pipeline, pipeline.watch(interval_s=0.1):
        outputs = write_outputs(tmp_path, pipeline)  # no variants: the Lambda API is asked
        code = smoke_test.main(["--outputs", str(outputs), "--timeout", "60", "--verbose"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert all_versions(pipeline, pipeline.upload_bucket) == []
    assert "smoke test passed: 5 variant(s)" in out
    assert "manifest complete, every sha256 matches the stored bytes" in out
    assert out.count("  ok   smoke/") == 5
    assert "_thumbnail.jpg JPEG 150x112" in out
    assert "_converted.webp WEBP 640x480" in out
    assert "cannot read image-pipeline-local's configuration" in caplog.text  # no local Lambda


def test_checks_the_configured_variants(endpoint, tmp_path, capsys):
    config = FunctionConfig(variants_json=CUSTOM_VARIANTS)
    with LocalPipeline(endpoint, config=config) as pipeline, pipeline.watch(interval_s=0.1):
        outputs = write_outputs(tmp_path, pipeline)
        code = smoke_test.main(
            ["--outputs", str(outputs), "--timeout", "60", "--variants", CUSTOM_VARIANTS, "-v"]
        )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "_card.webp WEBP 200x200" in out
    assert "_wide.png PNG 320x240" in out
    assert "_tiny.avif AVIF 64x48" in out


def test_fails_when_deleting_the_probe_leaves_its_outputs(endpoint, tmp_path, capsys):
    config = FunctionConfig(delete_outputs=False)
    with LocalPipeline(endpoint, config=config) as pipeline, pipeline.watch(interval_s=0.1):
        outputs = write_outputs(tmp_path, pipeline)
        code = smoke_test.main(["--outputs", str(outputs), "--timeout", "5"])
        skipped = smoke_test.main(
            ["--outputs", str(outputs), "--timeout", "60", "--skip-delete-check"]
        )
        assert all_versions(pipeline, pipeline.processed_bucket) == []
    _out, err = capsys.readouterr()
    assert code == 1
    assert "_manifest.json was not removed after the probe was deleted" in err
    assert skipped == 0, err


def test_fails_when_a_variant_is_wrong(endpoint, tmp_path, capsys):
    expected = json.dumps([{"suffix": "thumbnail", "format": "JPEG", "max_width": 100}])
    with LocalPipeline(endpoint) as pipeline, pipeline.watch(interval_s=0.1):
        outputs = write_outputs(tmp_path, pipeline)
        code = smoke_test.main(
            ["--outputs", str(outputs), "--timeout", "60", "--variants", expected]
        )
        assert all_versions(pipeline, pipeline.upload_bucket) == []
    err = capsys.readouterr().err
    assert code == 1
    assert "SMOKE TEST FAILED" in err
    assert "is 150x112, expected 100x75" in err


def test_fails_within_the_timeout_when_nothing_processes_uploads(endpoint, tmp_path, capsys):
    with LocalPipeline(endpoint) as pipeline:  # no dispatcher: uploads trigger nothing
        outputs = pipeline.stack_outputs()
        path = write_outputs(tmp_path, pipeline)
        started = time.monotonic()
        code = smoke_test.main(["--outputs", str(path), "--timeout", "3"])
        elapsed = time.monotonic() - started
        assert all_versions(pipeline, pipeline.upload_bucket) == []
    err = capsys.readouterr().err
    assert code == 1
    assert 3 <= elapsed < 15
    assert "5 of 5 variant(s) never appeared within 3s" in err
    assert outputs["log_group_name"] in err
    assert outputs["failure_queue_url"] in err
    assert err.count("MISSING smoke/") == 5


def test_cannot_run_without_complete_outputs(tmp_path, capsys):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"upload_bucket_name": "b"}))
    assert smoke_test.main(["--outputs", str(path)]) == 2
    assert capsys.readouterr().err.startswith("smoke test cannot run: stack outputs lack")


def test_custom_variants_parse():
    assert [v.suffix for v in parse_variants(CUSTOM_VARIANTS)] == ["card", "wide", "tiny"]


def test_variants_come_from_the_deployed_function_or_the_override():
    client = boto3.client(
        "lambda", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_function_configuration",
            {"Environment": {"Variables": {"VARIANTS": CUSTOM_VARIANTS}}},
            {"FunctionName": "fn"},
        )
        stubber.add_client_error(
            "get_function_configuration", "AccessDeniedException", http_status_code=403
        )
        assert smoke_test.variants_for(client, "fn", None) == parse_variants(CUSTOM_VARIANTS)
        assert smoke_test.variants_for(client, "fn", None) == DEFAULT_VARIANTS
        assert smoke_test.variants_for(client, "fn", CUSTOM_VARIANTS) == parse_variants(
            CUSTOM_VARIANTS
        )
        stubber.assert_no_pending_responses()
