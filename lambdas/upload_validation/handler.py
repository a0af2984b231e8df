"""S3 ObjectCreated (raw/uploads/) -> validate and load or reject the upload
(``pcf.usecases.uploads.process_landed_object``).

Configured by DATABASE_URL, OBJECT_STORE_BUCKET and MAX_UPLOAD_BYTES (see
``pcf.api.settings.CloudSettings``). A failure raises, so S3's asynchronous invocation
retries; a redelivered event for an upload already decided does nothing.
"""

from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from pcf.api.settings import CloudSettings, cloud_upload_dependencies
from pcf.observability import capture_lambda_handler, logger, metrics
from pcf.usecases.uploads import process_landed_object, upload_id_of_key

# Cold start: a missing or malformed setting fails here, not inside an event.
DEPENDENCIES = cloud_upload_dependencies(CloudSettings.from_environment())


@logger.inject_lambda_context
@metrics.log_metrics
@capture_lambda_handler
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> None:
    for record in event.records:
        key = record.s3.get_object.key
        if upload_id_of_key(key) is None:
            logger.warning("not an upload's key; ignored", key=key)
            continue
        upload = process_landed_object(DEPENDENCIES, key)
        logger.info("upload validated", upload_id=upload.id, status=upload.status.value)
