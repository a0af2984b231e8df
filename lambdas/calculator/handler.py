"""The calculator: every site's footprints on a schedule (``{"schedule":
"previous_month" | "current_month"}``) or one site and month on demand (``{"site_id":
"S1", "period": "2026-01"}``, optionally ``"gwp_set": "AR5"``), each stored in
PostgreSQL, exported to the curated tier and summarised in the audit log
(``pcf.usecases.calculation_runs``).

Configured by DATABASE_URL, OBJECT_STORE_BUCKETS, AUDIT_LOG_GROUP and TELEMETRY_STORE
(see ``CalculatorSettings``). A failed site fails the invocation, after the other sites
ran, with every failure in the message.
"""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from pcf.observability import capture_lambda_handler, logger, metrics
from pcf.usecases.calculation_runs import (
    CalculationsFailed,
    CalculatorSettings,
    build_calculator_dependencies,
    handle_calculator_event,
)

# Cold start: a missing or malformed setting fails here, not inside an event.
DEPENDENCIES = build_calculator_dependencies(CalculatorSettings.from_environment())


@logger.inject_lambda_context
@metrics.log_metrics
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        result = handle_calculator_event(event, DEPENDENCIES, datetime.now(UTC))
    except CalculationsFailed as failed:
        for outcome in failed.outcomes:
            logger.info("calculation", **outcome.as_dict())
        metrics.add_metric(
            name="CalculationsFailed",
            unit="Count",
            value=sum(1 for o in failed.outcomes if o.error),
        )
        raise
    for calculation in result["calculations"]:
        logger.info("calculation", **calculation)
    metrics.add_metric(
        name="Footprints", unit="Count", value=sum(c["footprints"] for c in result["calculations"])
    )
    return result
