"""API Gateway (REST) -> the PACT API (``pcf.pact.cloud``): ``/3/...`` and ``/2/...``
behind the Cognito authorizer with the PACT scope, ``/auth/token`` forwarded to Cognito,
OpenID discovery.

Configured by DATABASE_URL, DATABASE_SECRET_ARN, PCF_PACT_TOKEN_ENDPOINT,
PCF_PACT_ISSUER, PCF_PACT_SCOPE, PCF_PACT_CALLBACK_SECRET_ARN and the company's
PCF_PACT_* settings (see ``pcf.pact.cloud.CloudPactSettings``).
"""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pcf.observability import capture_lambda_handler, logger, metrics
from pcf.pact.cloud import cloud_pact_api

# Cold start: a missing or malformed setting fails here, not inside a request.
APP = cloud_pact_api()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return APP.resolve(event, context)
