"""Kinesis -> telemetry store, raw archive and dead letters (``pcf.usecases.ingest``).

Configured by DATABASE_URL, DEAD_LETTER_QUEUE_URL and ARCHIVE (see
``pcf.usecases.ingest.IngestSettings``); the event source mapping must enable
``ReportBatchItemFailures``.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from pcf.observability import capture_lambda_handler, logger, metrics
from pcf.usecases.ingest import IngestSettings, build_ingest_dependencies, handle_kinesis_batch

# Cold start: a missing or malformed setting fails here, not inside a batch.
DEPENDENCIES = build_ingest_dependencies(IngestSettings.from_environment())


@logger.inject_lambda_context
@metrics.log_metrics
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return handle_kinesis_batch(event, context, DEPENDENCIES)
