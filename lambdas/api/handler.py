"""API Gateway (REST, Cognito authorizer) -> the upload API (``pcf.api.routes``).

Configured by DATABASE_URL, OBJECT_STORE_BUCKET and MAX_UPLOAD_BYTES (see
``pcf.api.settings.CloudSettings``).
"""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pcf.api.routes import build_api
from pcf.api.settings import CloudSettings, cloud_api_dependencies
from pcf.observability import capture_lambda_handler, logger, metrics

# Cold start: a missing or malformed setting fails here, not inside a request.
APP = build_api(cloud_api_dependencies(CloudSettings.from_environment()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return APP.resolve(event, context)
