"""A dataset version written to the processed tier -> the mapped factor set as of today
in the curated tier (``pcf.usecases.mapping.publish_mapped_factors``).

An accepted upload writes its typed rows to ``processed/<kind>/version=<id>/`` before
its load commits; the processed bucket sends "Object Created" to EventBridge and this
function maps emission factors to what the factory consumes (materials and purchased
parts, electricity per site, natural gas) with the versions in force today, so the
curated tier (and Athena / QuickSight over it) follows every upload. The set's key is a
digest of its inputs: a redelivered event, or a second version landing before the first
was mapped, writes nothing new. The calculator maps again for each period it computes.

Configured by DATABASE_URL (+ DATABASE_SECRET_ARN) and OBJECT_STORE_BUCKET(S) (see
``pcf.api.settings.CloudSettings``). A failure raises, so the event is retried.
"""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from pcf.adapters.object_events import object_created_keys
from pcf.adapters.object_store import PROCESSED_DATASETS_PREFIX, PROCESSED_PREFIX
from pcf.api.settings import CloudSettings, cloud_upload_dependencies
from pcf.observability import capture_lambda_handler, logger, metrics
from pcf.usecases.mapping import publish_mapped_factors

# Cold start: a missing or malformed setting fails here, not inside an event.
DEPENDENCIES = cloud_upload_dependencies(CloudSettings.from_environment())


def is_dataset_version(key: str) -> bool:
    """A processed version's typed rows (not a CSV export written for a download)."""
    return (
        key.startswith(f"{PROCESSED_PREFIX}/")
        and not key.startswith(f"{PROCESSED_DATASETS_PREFIX}/")
        and key.endswith(".parquet")
    )


@logger.inject_lambda_context
@metrics.log_metrics
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    versions = [key for key in object_created_keys(event) if is_dataset_version(key)]
    if not versions:
        logger.info("no dataset version in the event; nothing to map")
        return {"mapped": False, "keys": {}}
    as_of = datetime.now(UTC).date()
    mapped, keys = publish_mapped_factors(DEPENDENCIES.engine, DEPENDENCIES.store, as_of)
    logger.info("mapped factors published", as_of=str(as_of), build_id=mapped.build_id, keys=keys)
    return {"mapped": True, "as_of": str(as_of), "build_id": mapped.build_id, "keys": keys}
