"""ContentDelivery: a CloudFront distribution serving the processed bucket, which stays private.

The distribution's only origin is the bucket's regional endpoint, signed by an Origin Access
Control (SigV4 on every request); the bucket's policy lets exactly this distribution read
(``AWS:SourceArn``), see :func:`infra.iam_documents.cloudfront_read_statement`. Viewers must use
HTTPS; the cache follows the ``Cache-Control`` the function writes on every variant, within the
bounds of the managed CachingOptimized policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.config import StackSettings

# AWS managed cache policy "CachingOptimized" (the id is the same in every account): no cookies,
# headers or query strings in the cache key; TTL min 1 s, default 1 day, max 1 year, and the
# origin's Cache-Control max-age is honoured within those bounds.
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ORIGIN_ID = "processed-bucket"
READ_METHODS = ["GET", "HEAD"]
MINIMUM_TLS = "TLSv1.2_2021"


def regional_domain_name(bucket: str, region: str) -> str:
    """The bucket's regional S3 endpoint, the origin domain CloudFront signs requests for."""
    return f"{bucket}.s3.{region}.amazonaws.com"


@dataclass(frozen=True)
class CdnArgs:
    """What the distribution serves."""

    settings: StackSettings
    bucket_name: pulumi.Input[str]
    region: pulumi.Input[str]
    tags: dict[str, str]


class ContentDelivery(pulumi.ComponentResource):
    """Origin Access Control and the HTTPS-only distribution in front of the processed bucket."""

    origin_access_control: aws.cloudfront.OriginAccessControl
    distribution: aws.cloudfront.Distribution
    domain_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("image-pipeline:delivery:ContentDelivery", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.origin_access_control = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            description="Signs the image-pipeline distribution's requests to the processed bucket",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        custom_domain = settings.cdn_domain_name and settings.cdn_certificate_arn
        if custom_domain:
            certificate = aws.cloudfront.DistributionViewerCertificateArgs(
                acm_certificate_arn=settings.cdn_certificate_arn,
                ssl_support_method="sni-only",
                minimum_protocol_version=MINIMUM_TLS,
            )
        else:
            certificate = aws.cloudfront.DistributionViewerCertificateArgs(
                cloudfront_default_certificate=True
            )
        self.distribution = aws.cloudfront.Distribution(
            name,
            enabled=True,
            comment="image-pipeline variants",
            aliases=[settings.cdn_domain_name] if custom_domain else None,
            http_version="http2and3",
            is_ipv6_enabled=True,
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id=ORIGIN_ID,
                    domain_name=pulumi.Output.all(args.bucket_name, args.region).apply(
                        lambda parts: regional_domain_name(parts[0], parts[1])
                    ),
                    origin_access_control_id=self.origin_access_control.id,
                )
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id=ORIGIN_ID,
                viewer_protocol_policy="https-only",
                allowed_methods=READ_METHODS,
                cached_methods=READ_METHODS,
                cache_policy_id=CACHING_OPTIMIZED_POLICY_ID,
                compress=True,
            ),
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type="none"
                )
            ),
            viewer_certificate=certificate,
            tags=args.tags,
            opts=child,
        )
        self.domain_name = self.distribution.domain_name
        self.register_outputs(
            {"domain_name": self.domain_name, "distribution_arn": self.distribution.arn}
        )
