"""An object created under raw/uploads/ -> validate and load or reject the upload
(``pcf.usecases.uploads.process_landed_object``).

Two event shapes name the object: EventBridge's "Object Created" (how the deployed
system triggers it: the raw bucket sends its events to EventBridge) and an S3
notification's ``Records`` (a bucket notification configured straight to the function).

Configured by DATABASE_URL, OBJECT_STORE_BUCKET(S) and MAX_UPLOAD_BYTES (see
``pcf.api.settings.CloudSettings``). A failure raises, so the asynchronous invocation is
retried (then kept in the dead-letter queue); a redelivered event for an upload already
decided does nothing.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from pcf.adapters.object_events import object_created_keys
from pcf.api.settings import CloudSettings, cloud_upload_dependencies
from pcf.observability import capture_lambda_handler, logger, metrics
from pcf.usecases.uploads import process_landed_object, upload_id_of_key

# Cold start: a missing or malformed setting fails here, not inside an event.
DEPENDENCIES = cloud_upload_dependencies(CloudSettings.from_environment())


@logger.inject_lambda_context
@metrics.log_metrics
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    for key in object_created_keys(event):
        if upload_id_of_key(key) is None:
            logger.warning("not an upload's key; ignored", key=key)
            continue
        upload = process_landed_object(DEPENDENCIES, key)
        logger.info("upload validated", upload_id=upload.id, status=upload.status.value)
