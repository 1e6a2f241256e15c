"""The real program with ``cdn`` on, under Pulumi mocks: an HTTPS-only distribution whose only
origin is the private processed bucket through Origin Access Control, and one bucket policy
letting exactly that distribution read."""

from __future__ import annotations

import json

import pytest

from infra.cdn import CACHING_OPTIMIZED_POLICY_ID, regional_domain_name
from infra.iam_documents import bucket_policy, cloudfront_read_statement, tls_only_bucket_policy
from tests.pulumi_harness import RecordedStack, run_program

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"


@pytest.fixture(scope="module")
def stack() -> RecordedStack:
    return run_program({"cdn": "true", "aws:region": "eu-west-1"})


def test_distribution_serves_only_the_processed_bucket_through_oac(stack):
    distribution = stack.one(DISTRIBUTION)
    oac = stack.one(OAC)
    processed = stack.one("aws:s3/bucket:Bucket", "processed").outputs["bucket"]
    [origin] = distribution.inputs["origins"]
    assert origin["domainName"] == f"{processed}.s3.eu-west-1.amazonaws.com"
    assert origin["originAccessControlId"] == oac.id
    assert "s3OriginConfig" not in origin and "customOriginConfig" not in origin
    assert oac.inputs["originAccessControlOriginType"] == "s3"
    assert (oac.inputs["signingBehavior"], oac.inputs["signingProtocol"]) == ("always", "sigv4")
    behaviour = distribution.inputs["defaultCacheBehavior"]
    assert behaviour["targetOriginId"] == origin["originId"]
    assert behaviour["viewerProtocolPolicy"] == "https-only"
    assert behaviour["cachePolicyId"] == CACHING_OPTIMIZED_POLICY_ID
    assert behaviour["allowedMethods"] == behaviour["cachedMethods"] == ["GET", "HEAD"]
    assert distribution.inputs["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    assert "aliases" not in distribution.inputs
    assert stack.outputs["cdn_domain_name"] == distribution.outputs["domainName"]


def test_processed_bucket_has_one_policy_with_tls_and_the_distribution_read(stack):
    distribution = stack.one(DISTRIBUTION)
    processed = stack.one("aws:s3/bucket:Bucket", "processed").outputs["arn"]
    uploads = stack.one("aws:s3/bucket:Bucket", "uploads").outputs["arn"]
    policies = {p.name: json.loads(p.inputs["policy"]) for p in stack.of_type(BUCKET_POLICY)}
    assert policies == {
        "processed-tls-only": bucket_policy(processed, distribution.outputs["arn"]),
        "uploads-tls-only": tls_only_bucket_policy(uploads),
    }
    statement = policies["processed-tls-only"]["Statement"][1]
    assert statement == cloudfront_read_statement(processed, distribution.outputs["arn"])
    assert statement["Condition"] == {
        "StringEquals": {"AWS:SourceArn": distribution.outputs["arn"]}
    }
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    policy = next(p for p in stack.of_type(BUCKET_POLICY) if p.name == "processed-tls-only")
    assert stack.depends_on(policy, distribution)
    access = next(
        r
        for r in stack.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
        if r.name == "processed-public-access"
    )
    assert all(access.inputs[flag] for flag in ("blockPublicPolicy", "restrictPublicBuckets"))


def test_custom_domain_uses_the_certificate_over_sni():
    stack = run_program(
        {"cdn": "true", "cdnDomainName": "img.example.com", "cdnCertificateArn": CERTIFICATE}
    )
    distribution = stack.one(DISTRIBUTION)
    assert distribution.inputs["aliases"] == ["img.example.com"]
    assert distribution.inputs["viewerCertificate"] == {
        "acmCertificateArn": CERTIFICATE,
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }


def test_cdn_off_creates_no_distribution_and_exports_an_empty_name():
    stack = run_program({})
    assert not [r for r in stack.resources if r.type.startswith("aws:cloudfront/")]
    assert stack.outputs["cdn_domain_name"] == ""
    for policy in stack.of_type(BUCKET_POLICY):
        assert len(json.loads(policy.inputs["policy"])["Statement"]) == 1


def test_regional_domain_name():
    assert regional_domain_name("b", "ap-south-1") == "b.s3.ap-south-1.amazonaws.com"


def test_cache_control_config_reaches_the_function_environment():
    stack = run_program({"cacheControl": "public, max-age=300"})
    variables = stack.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    assert variables["CACHE_CONTROL"] == "public, max-age=300"
    default = run_program({}).one("aws:lambda/function:Function")
    assert "CACHE_CONTROL" not in default.inputs["environment"]["variables"]
