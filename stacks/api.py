"""API: Cognito, the REST API (upload/footprint API and PACT) and its regional WAF.

- **Identity** (``Identity``): one user pool (Plus plan: threat protection; MFA by
  authenticator app; no self sign-up), a group per role of the architecture (admin,
  sme, reader, auditor, partner), its hosted domain, the ``pact`` resource server with
  the ``pact/footprints`` scope and one client-credentials app client for a first PACT
  partner (more are made the same way: README). The web app's client is made by the web
  stack, which knows the app's URL.
- **REST API** (``RestApi``): regional, one stage (``prod``) with throttling (lower on
  ``/auth/token``), access logs as JSON to a KMS-encrypted log group, execution logs
  (errors), X-Ray, and gateway responses in the APIs' error shape.

  - ``/{proxy+}`` (any method) -> ``api`` (uploads, data sets, footprints): Cognito,
    ID token (its groups are the roles);
  - ``/3/{proxy+}``, ``/2/{proxy+}`` -> ``pact_api``: Cognito, an access token with
    the ``pact/footprints`` scope;
  - ``POST /auth/token`` -> ``pact_api`` (forwarded to Cognito): no authorizer, the
    request carries client credentials;
  - ``GET /.well-known/openid-configuration`` -> ``pact_api``: public discovery.

  Every authorized method requires the ``Authorization`` header (request validator).
- **WAF**: a regional web ACL on the stage (managed rule groups and a rate limit).
- **Domain** (when given): ``api.<domain>`` with a regional certificate validated in
  the hosted zone, TLS 1.2, an alias record.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from pcf.api.auth import Role
from stacks.base import PcfStack
from stacks.functions import LOG_RETENTION, PcfFunction, grant_actions
from stacks.global_edge import API_RATE_LIMIT_PER_5_MINUTES, managed_web_acl
from stacks.nag import acknowledge
from stacks.network import NetworkStack
from stacks.settings import DeploymentSettings
from stacks.storage import StorageStack

STAGE = "prod"
PACT_RESOURCE_SERVER = "pact"
PACT_SCOPE_NAME = "footprints"
PACT_SCOPE = f"{PACT_RESOURCE_SERVER}/{PACT_SCOPE_NAME}"
# steady requests per second and burst for the whole stage, and for the token endpoint
STAGE_RATE_LIMIT, STAGE_BURST_LIMIT = 100, 200
TOKEN_RATE_LIMIT, TOKEN_BURST_LIMIT = 5, 10
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# API Gateway waits 29 s for an integration; the functions stop just before
API_FUNCTION_TIMEOUT = cdk.Duration.seconds(28)


class Identity(Construct):
    """The user pool, its groups, domain, PACT resource server and partner client."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"{settings.prefix}-users",
            self_sign_up_enabled=False,  # an admin invites people (README)
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=cdk.Duration.days(3),
            ),
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=settings.removal.value == "retain",
            removal_policy=removal_policy,
        )
        # cognito:groups in the ID token are the roles the API checks (docs/decisions/0007)
        for role in Role:
            cognito.CfnUserPoolGroup(
                self,
                f"Group{role.value.capitalize()}",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=role.value,
                description=f"PCF role {role.value}",
            )
        self.domain = self.user_pool.add_domain(
            "Domain",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=f"{settings.prefix}-{settings.account}"
            ),
        )
        self.pact_scope = cognito.ResourceServerScope(
            scope_name=PACT_SCOPE_NAME,
            scope_description="Read published footprints, send PACT events",
        )
        self.resource_server = self.user_pool.add_resource_server(
            "PactResourceServer",
            identifier=PACT_RESOURCE_SERVER,
            user_pool_resource_server_name="PACT API",
            scopes=[self.pact_scope],
        )
        self.partner_client = self.user_pool.add_client(
            "PactPartnerClient",
            user_pool_client_name=f"{settings.prefix}-pact-partner",
            generate_secret=True,
            auth_flows=cognito.AuthFlow(),  # no user sign-in: client credentials only
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(client_credentials=True),
                scopes=[cognito.OAuthScope.resource_server(self.resource_server, self.pact_scope)],
            ),
            access_token_validity=cdk.Duration.hours(1),
            prevent_user_existence_errors=True,
        )

    @property
    def token_endpoint(self) -> str:
        return f"{self.domain.base_url()}/oauth2/token"

    @property
    def issuer(self) -> str:
        return self.user_pool.user_pool_provider_url


class ApiStack(PcfStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        network: NetworkStack,
        storage: StorageStack,
        calculation: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, settings=settings, **kwargs)
        self.identity = Identity(
            self, "Identity", settings=settings, removal_policy=self.removal_policy
        )
        self.api_function = self._api_function(network, storage)
        self.pact_function = self._pact_function(network, storage)
        self.rest_api = self._rest_api(storage)
        self._routes()
        self.web_acl = managed_web_acl(
            self,
            "WebAcl",
            waf_scope="REGIONAL",
            name=f"{settings.prefix}-api",
            rate_limit_per_5_minutes=API_RATE_LIMIT_PER_5_MINUTES,
            large_bodies=True,
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.rest_api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )
        self.domain_name = self._custom_domain()
        self.monitored.functions.extend([self.api_function.function, self.pact_function.function])
        cdk.CfnOutput(self, "ApiUrl", value=self.url, description="The API's base URL")
        cdk.CfnOutput(self, "UserPoolId", value=self.identity.user_pool.user_pool_id)
        cdk.CfnOutput(
            self,
            "PactPartnerClientId",
            value=self.identity.partner_client.user_pool_client_id,
            description="The first PACT partner's client id (secret: describe-user-pool-client)",
        )
        cdk.CfnOutput(self, "CognitoTokenEndpoint", value=self.identity.token_endpoint)

    @property
    def url(self) -> str:
        """The API's base URL (no trailing slash): the custom domain, else the stage's."""
        if self.settings.domain is not None:
            return f"https://{self.settings.domain.api_name}"
        return self.rest_api.url.rstrip("/")

    @property
    def user_pool(self) -> cognito.UserPool:
        return self.identity.user_pool

    # -- functions ----------------------------------------------------------------------

    def _api_function(self, network: NetworkStack, storage: StorageStack) -> PcfFunction:
        function = PcfFunction(
            self,
            "UploadFootprintApi",
            bundle="api",
            description="PCF upload and footprint API (API Gateway proxy)",
            key=storage.key,
            environment={
                **storage.database_environment,
                **storage.object_store_environment,
                "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
            },
            placement=network.placement,
            timeout=API_FUNCTION_TIMEOUT,
            memory_mb=1024,
        )
        storage.grant_database(function)
        # uploads land in raw (inline, or the pre-signed PUT the role signs); dataset
        # downloads are written back to processed; rejected files are read from quarantine
        storage.grant_object_store(function, ("raw", "processed"), write=True)
        storage.grant_object_store(function, ("quarantine", "curated"))
        function.node.add_dependency(storage.migrations)
        return function

    def _pact_function(self, network: NetworkStack, storage: StorageStack) -> PcfFunction:
        self.callback_credentials = secretsmanager.Secret(
            self,
            "PactCallbackCredentials",
            description=(
                "Our client credentials at PACT partners' token endpoints, for answering "
                "their footprint requests: 'partner-client-id=https://token-url|id|secret' "
                "entries separated by spaces or new lines"
            ),
            encryption_key=storage.key,
            secret_string_value=cdk.SecretValue.unsafe_plain_text(" "),
            removal_policy=self.removal_policy,
        )
        acknowledge(
            self.callback_credentials,
            "AwsSolutions-SMG4",
            "These are credentials partners issue to us at their token endpoints; they "
            "are replaced by hand when a partner rotates them, there is nothing to rotate "
            "automatically on our side.",
        )
        function = PcfFunction(
            self,
            "PactApi",
            bundle="pact_api",
            description="PCF PACT API v3/v2.3 (footprints, events, token forwarding)",
            key=storage.key,
            environment={
                **storage.database_environment,
                "PCF_PACT_TOKEN_ENDPOINT": self.identity.token_endpoint,
                "PCF_PACT_ISSUER": self.identity.issuer,
                "PCF_PACT_SCOPE": PACT_SCOPE,
                "PCF_PACT_CALLBACK_SECRET_ARN": self.callback_credentials.secret_arn,
            },
            placement=network.placement,
            timeout=API_FUNCTION_TIMEOUT,
            memory_mb=1024,
        )
        storage.grant_database(function)
        # identity policy only: the key's policy lives in the storage stack, which must
        # not name this stack's role (a cycle); the key trusts the account's IAM policies
        grant_actions(
            function.role,
            ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            [self.callback_credentials.secret_arn],
        )
        grant_actions(function.role, ["kms:Decrypt"], [storage.key.key_arn])
        function.node.add_dependency(storage.migrations)
        return function

    # -- REST API -----------------------------------------------------------------------

    def _rest_api(self, storage: StorageStack) -> apigateway.RestApi:
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=LOG_RETENTION,
            encryption_key=storage.key,
            removal_policy=self.removal_policy,
        )
        rest_api = apigateway.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{self.settings.prefix}-api",
            description="PCF upload, footprint and PACT APIs",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=cdk.RemovalPolicy.RETAIN,
            deploy_options=apigateway.StageOptions(
                stage_name=STAGE,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # bodies carry tokens and uploads
                tracing_enabled=True,
                metrics_enabled=True,
                throttling_rate_limit=STAGE_RATE_LIMIT,
                throttling_burst_limit=STAGE_BURST_LIMIT,
                method_options={
                    "/auth/token/POST": apigateway.MethodDeploymentOptions(
                        throttling_rate_limit=TOKEN_RATE_LIMIT,
                        throttling_burst_limit=TOKEN_BURST_LIMIT,
                    )
                },
            ),
        )
        acknowledge(
            rest_api,
            "AwsSolutions-IAM4",
            "API Gateway's account-level CloudWatch role uses the AWS managed policy "
            "AmazonAPIGatewayPushToCloudWatchLogs, the documented way to allow execution logs.",
            applies_to=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs"
            ],
        )
        self.authorizer = apigateway.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=[self.identity.user_pool],
            authorizer_name=f"{self.settings.prefix}-cognito",
            identity_source="method.request.header.Authorization",
            results_cache_ttl=cdk.Duration.minutes(5),
        )
        self.validator = rest_api.add_request_validator(
            "RequestValidator",
            request_validator_name="parameters-and-body",
            validate_request_parameters=True,
            validate_request_body=True,
        )
        self._gateway_responses(rest_api)
        return rest_api

    def _gateway_responses(self, rest_api: apigateway.RestApi) -> None:
        """API Gateway's own refusals in the shape both APIs use: ``code`` (PACT's) and
        ``message`` (read by the web app)."""
        json_body = '{"code": "%s", "message": $context.error.messageString}'
        for construct_id, response_type, status, code, headers in (
            ("Unauthorized", apigateway.ResponseType.UNAUTHORIZED, "401", "BadRequest", True),
            ("AccessDenied", apigateway.ResponseType.ACCESS_DENIED, "403", "AccessDenied", False),
            ("WafFiltered", apigateway.ResponseType.WAF_FILTERED, "403", "AccessDenied", False),
            ("Throttled", apigateway.ResponseType.THROTTLED, "429", "TooManyRequests", False),
            (
                "BadParameters",
                apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
                "401",
                "BadRequest",
                True,
            ),
            ("Default5xx", apigateway.ResponseType.DEFAULT_5_XX, "500", "InternalError", False),
        ):
            rest_api.add_gateway_response(
                construct_id,
                type=response_type,
                status_code=status,
                response_headers=(
                    {"WWW-Authenticate": "'Bearer'", "Content-Type": "'application/json'"}
                    if headers
                    else {"Content-Type": "'application/json'"}
                ),
                templates={"application/json": json_body % code},
            )

    def _routes(self) -> None:
        rest_api = self.rest_api
        api = apigateway.LambdaIntegration(self.api_function.function, allow_test_invoke=False)
        pact = apigateway.LambdaIntegration(self.pact_function.function, allow_test_invoke=False)
        header = {"method.request.header.Authorization": True}

        def users(resource: apigateway.IResource) -> None:
            resource.add_method(
                "ANY",
                api,
                authorizer=self.authorizer,
                authorization_type=apigateway.AuthorizationType.COGNITO,
                request_validator=self.validator,
                request_parameters=header,
            )

        def partners(resource: apigateway.IResource) -> None:
            resource.add_method(
                "ANY",
                pact,
                authorizer=self.authorizer,
                authorization_type=apigateway.AuthorizationType.COGNITO,
                authorization_scopes=[PACT_SCOPE],
                request_validator=self.validator,
                request_parameters=header,
            )

        users(rest_api.root.add_resource("{proxy+}"))
        for version in ("3", "2"):
            partners(rest_api.root.add_resource(version).add_resource("{proxy+}"))
        token = (
            rest_api.root.add_resource("auth")
            .add_resource("token")
            .add_method("POST", pact, request_validator=self.validator)
        )
        discovery = (
            rest_api.root.add_resource(".well-known")
            .add_resource("openid-configuration")
            .add_method("GET", pact, request_validator=self.validator)
        )
        for method, why in (
            (
                token,
                "the OAuth2 token endpoint authenticates the client itself (HTTP Basic "
                "client credentials, checked by Cognito's token endpoint it forwards to)",
            ),
            (
                discovery,
                "OpenID discovery is public by definition: it tells clients where to get a token",
            ),
        ):
            acknowledge(method, "AwsSolutions-APIG4", f"No authorizer: {why}.")
            acknowledge(method, "AwsSolutions-COG4", f"No Cognito authorizer: {why}.")

    def _custom_domain(self) -> apigateway.DomainName | None:
        domain = self.settings.domain
        if domain is None:
            return None
        zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name
        )
        # a regional API takes a certificate of its own region (domain.certificateArn is
        # CloudFront's, in us-east-1)
        certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=domain.api_name,
            validation=acm.CertificateValidation.from_dns(zone),
        )
        domain_name = apigateway.DomainName(
            self,
            "DomainName",
            domain_name=domain.api_name,
            certificate=certificate,
            endpoint_type=apigateway.EndpointType.REGIONAL,
            security_policy=apigateway.SecurityPolicy.TLS_1_2,
            mapping=self.rest_api,
        )
        route53.ARecord(
            self,
            "AliasRecord",
            zone=zone,
            record_name=domain.api_name,
            target=route53.RecordTarget.from_alias(targets.ApiGatewayDomain(domain_name)),
        )
        return domain_name
