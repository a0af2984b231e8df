"""Web: the web app (``web/``) on S3 behind CloudFront, with the API on the same origin.

- **Bucket**: private (public access blocked, TLS only, versioned), read by CloudFront
  only through origin access control. Encrypted with S3-managed keys: the files are
  the app itself, served to anyone who opens it, so a customer key protects nothing
  here, and SSE-KMS with OAC would need the key policy (in the storage stack) to name
  this stack's distribution, a cycle between the stacks. Server access logs go to the
  storage stack's access-logs bucket.
- **Distribution**: ``/app/*`` from the bucket (``/`` and ``/app/`` are
  ``/app/index.html``, the paths the local server uses), ``/api/*`` to API Gateway
  (the prefix stripped by a CloudFront function, nothing cached, the caller's headers
  passed on), so the app calls its API on its own origin (``apiBase: "/api"``) and
  the content security policy stays ``connect-src 'self'`` (plus the upload buckets
  for pre-signed PUTs and GETs and Cognito's domain for the sign-in). The us-east-1
  web ACL, a security response-headers policy (the CSP of docs/decisions/0011, HSTS,
  nosniff, no referrer, frame denial), TLS 1.2 at least (2021 policy) with the
  domain's certificate, standard logs to the access-logs bucket (ACLs enabled there).
- **Deployment**: ``web/`` to ``app/`` in the bucket (READMEs left out) and a generated
  ``app/js/config.js`` replacing the local one: API base, Cognito hosted UI domain,
  the web app client's id, the redirect URI. CloudFront keeps the files 5 minutes (no
  invalidation: the CDK would grant it on every distribution).
- **Web app client**: the user pool's client for the web app (authorization code with
  PKCE, no secret), made here because its callback URL is this distribution's.
- **Domain** (when given): A and AAAA alias records for ``domain.name``.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from stacks.api import ApiStack
from stacks.base import PcfStack
from stacks.global_edge import GlobalEdgeStack
from stacks.nag import acknowledge
from stacks.packaging import ROOT
from stacks.settings import DeploymentSettings
from stacks.storage import StorageStack

WEB_FOLDER = ROOT / "web"
APP_PREFIX = "app/"
API_PATH = "/api"
LOG_PREFIX = "cloudfront/web/"

# "/" and "/app/" are the app's page, as on the local server
_APP_PATHS_FUNCTION = """
function handler(event) {
  var request = event.request;
  if (request.uri === "/" || request.uri === "/app" || request.uri === "/app/") {
    request.uri = "/app/index.html";
  }
  return request;
}
"""
# "/api/products" -> "/products": the API's own paths
_API_PREFIX_FUNCTION = f"""
function handler(event) {{
  var request = event.request;
  request.uri = request.uri.substring({len(API_PATH)});
  return request;
}}
"""


def content_security_policy(connect_sources: list[str]) -> str:
    """docs/decisions/0011's policy, with ``connect_sources`` beside 'self'."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src " + " ".join(["'self'", *connect_sources]),
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class WebStack(PcfStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        storage: StorageStack,
        global_edge: GlobalEdgeStack,
        api: ApiStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings, **kwargs)
        self.bucket = self._bucket(storage)
        self.headers = self._response_headers(storage, api)
        self.distribution = self._distribution(storage, global_edge, api)
        self.app_url = (
            f"https://{settings.domain.name}/app/"
            if settings.domain is not None
            else f"https://{self.distribution.distribution_domain_name}/app/"
        )
        # in this stack (not api.user_pool.add_client): its callback URL is ours
        self.web_client = cognito.UserPoolClient(
            self,
            "WebAppClient",
            user_pool=api.user_pool,
            user_pool_client_name=f"{settings.prefix}-web",
            generate_secret=False,  # a browser keeps no secret: PKCE instead
            auth_flows=cognito.AuthFlow(),  # the hosted UI only
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
                callback_urls=[self.app_url],
                logout_urls=[self.app_url],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            id_token_validity=cdk.Duration.hours(1),
            access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.hours(12),
            prevent_user_existence_errors=True,
        )
        self._deploy_app(api)
        if settings.domain is not None:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self,
                "Zone",
                hosted_zone_id=settings.domain.hosted_zone_id,
                zone_name=settings.domain.hosted_zone_name,
            )
            target = route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution))
            route53.ARecord(
                self, "AliasRecord", zone=zone, record_name=settings.domain.name, target=target
            )
            route53.AaaaRecord(
                self, "AliasRecordIpv6", zone=zone, record_name=settings.domain.name, target=target
            )
        cdk.CfnOutput(self, "WebAppUrl", value=self.app_url, description="Open this to sign in")
        cdk.CfnOutput(self, "WebAppClientId", value=self.web_client.user_pool_client_id)

    def _bucket(self, storage: StorageStack) -> s3.Bucket:
        # A literal name, so the access-logs bucket's policy can name it without
        # referring to this stack (the storage stack is deployed first)
        name = f"{self.settings.prefix}-web-{self.settings.account}-{self.settings.region}"
        access_logs = storage.buckets.access_logs
        bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=s3.Bucket.from_bucket_name(
                self, "AccessLogsBucket", access_logs.bucket_name
            ),
            server_access_logs_prefix="web/",
            removal_policy=self.removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-old-versions", noncurrent_version_expiration=cdk.Duration.days(30)
                )
            ],
        )
        access_logs.add_to_resource_policy(
            iam.PolicyStatement(
                sid="WebAppBucketAccessLogs",
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[f"{access_logs.bucket_arn}/web/*"],
                conditions={
                    "ArnLike": {"aws:SourceArn": f"arn:{cdk.Aws.PARTITION}:s3:::{name}"},
                    "StringEquals": {"aws:SourceAccount": self.settings.account},
                },
            )
        )
        acknowledge(
            bucket,
            "Annotation::@aws-cdk/aws-s3:accessLogsPolicyNotAdded",
            "The access-logs bucket belongs to the storage stack; the statement letting S3 "
            "deliver this bucket's logs is added to its policy just above, by name.",
        )
        return bucket

    def _response_headers(
        self, storage: StorageStack, api: ApiStack
    ) -> cloudfront.ResponseHeadersPolicy:
        upload_buckets = [storage.buckets.raw, storage.buckets.quarantine]
        connect = [
            # pre-signed URLs, in either of the forms S3 signs
            *(f"https://{bucket.bucket_regional_domain_name}" for bucket in upload_buckets),
            *(f"https://{bucket.bucket_domain_name}" for bucket in upload_buckets),
            # the sign-in's code exchange at the hosted UI's token endpoint
            api.identity.domain.base_url(),
        ]
        return cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            response_headers_policy_name=f"{self.settings.prefix}-web-security",
            comment="PCF web app: CSP, HSTS, nosniff, no referrer, no framing",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(connect), override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.days(365),
                    include_subdomains=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
            ),
        )

    def _distribution(
        self, storage: StorageStack, global_edge: GlobalEdgeStack, api: ApiStack
    ) -> cloudfront.Distribution:
        domain = self.settings.domain
        app_paths = cloudfront.Function(
            self,
            "AppPaths",
            code=cloudfront.FunctionCode.from_inline(_APP_PATHS_FUNCTION),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="/ and /app/ are the web app's index.html",
        )
        api_prefix = cloudfront.Function(
            self,
            "ApiPrefix",
            code=cloudfront.FunctionCode.from_inline(_API_PREFIX_FUNCTION),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="/api/<path> is the API's /<path>",
        )
        app_cache = cloudfront.CachePolicy(
            self,
            "AppCache",
            cache_policy_name=f"{self.settings.prefix}-web-app",
            comment="The web app's files: 5 minutes, so a deployment shows without invalidation",
            default_ttl=cdk.Duration.minutes(5),
            max_ttl=cdk.Duration.minutes(5),
            min_ttl=cdk.Duration.seconds(0),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{self.settings.prefix} web app",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=app_cache,
                response_headers_policy=self.headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=app_paths, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={
                f"{API_PATH}/*": cloudfront.BehaviorOptions(
                    origin=origins.RestApiOrigin(api.rest_api),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=self.headers,
                    function_associations=[
                        cloudfront.FunctionAssociation(
                            function=api_prefix,
                            event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                        )
                    ],
                )
            },
            domain_names=[domain.name] if domain is not None else None,
            certificate=global_edge.certificate,
            # only with a certificate of ours: CloudFront's default one is fixed at TLSv1
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021
                if global_edge.certificate is not None
                else None
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            web_acl_id=global_edge.web_acl.attr_arn,
            enable_logging=True,
            log_bucket=storage.buckets.access_logs,
            log_file_prefix=LOG_PREFIX,
        )
        acknowledge(
            distribution,
            "AwsSolutions-CFR1",
            "The web app and its API serve a company's staff and PACT partners wherever "
            "they are; every call needs a Cognito token, and the web ACL rate-limits.",
        )
        if domain is None:
            acknowledge(
                distribution,
                "AwsSolutions-CFR4",
                "Without a domain the distribution uses CloudFront's default certificate, "
                "whose minimum protocol CloudFront fixes at TLSv1; with a domain it is "
                "TLS 1.2 (TLSv1.2_2021). Give a domain in production.",
            )
        return distribution

    def _asset_bucket(self) -> str:
        """The CDK bootstrap's asset bucket (default qualifier) the web files come from."""
        qualifier = cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER
        return f"cdk-{qualifier}-assets-{self.settings.account}-{self.settings.region}"

    def _deploy_app(self, api: ApiStack) -> None:
        signed_in_kind = {
            "apiBase": API_PATH,
            "signIn": {
                "kind": "cognito",
                "domain": api.identity.domain.base_url(),
                "clientId": self.web_client.user_pool_client_id,
                "redirectUri": self.app_url,
            },
        }
        config = (
            "// Written by the deployment (stacks/web.py): the API on this origin and\n"
            "// Cognito's hosted UI for signing in.\n"
            f"export const config = {json.dumps(signed_in_kind, indent=2)};\n"
        )
        deployment = s3_deployment.BucketDeployment(
            self,
            "App",
            sources=[
                s3_deployment.Source.asset(
                    str(WEB_FOLDER), exclude=["README.md", "*/README.md", "js/config.js"]
                ),
                s3_deployment.Source.data("js/config.js", config),
            ],
            destination_bucket=self.bucket,
            destination_key_prefix=APP_PREFIX,
            # no invalidation: the CDK would grant it on every distribution ("*"); the
            # app's cache policy keeps files 5 minutes, so a deployment shows by then
            prune=True,
            memory_limit=512,
        )
        self.deployment = deployment
        bucket_resource = self.bucket.node.default_child
        assert isinstance(bucket_resource, s3.CfnBucket)
        # the CDK's singleton function that runs every bucket deployment of this stack
        handler = next(
            child
            for child in self.node.children
            if child.node.id.startswith("Custom::CDKBucketDeployment")
        )
        reason = (
            "The CDK's bucket deployment function as the CDK defines it: it copies the web "
            "app from the CDK asset bucket (objects named by content hash) into this "
            "stack's web bucket, replacing old files (the CDK's read/write grant on the two "
            "buckets and their objects)."
        )
        acknowledge(
            handler,
            "AwsSolutions-IAM5",
            reason,
            applies_to=[
                "Action::s3:GetObject*",
                "Action::s3:GetBucket*",
                "Action::s3:List*",
                "Action::s3:DeleteObject*",
                "Action::s3:Abort*",
                f"Resource::arn:{_nag_partition(self)}:s3:::{self._asset_bucket()}/*",
                f"Resource::<{self.get_logical_id(bucket_resource)}.Arn>/*",
            ],
        )
        acknowledge(
            handler,
            "AwsSolutions-IAM4",
            "The CDK's bucket deployment function logs with the AWS managed "
            "AWSLambdaBasicExecutionRole policy; it runs only during deployments.",
            applies_to=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole"
            ],
        )
        acknowledge(
            handler,
            "AwsSolutions-L1",
            "The runtime of the CDK's bucket deployment function is chosen by aws-cdk-lib "
            "(it bundles the AWS CLI for that runtime) and moves with CDK upgrades.",
        )


def _nag_partition(stack: cdk.Stack) -> str:
    """The partition as cdk-nag writes it in a finding: the literal when the CDK knows
    it (``enablePartitionLiterals`` with a region), else ``<AWS::Partition>``."""
    return "<AWS::Partition>" if cdk.Token.is_unresolved(stack.partition) else stack.partition
