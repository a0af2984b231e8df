"""The object keys an "object created" event names, in either shape S3 sends them:
EventBridge's "Object Created" (how the deployed system routes bucket events) and an S3
notification's ``Records`` (a notification configured straight to a function)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import S3Event, S3EventBridgeNotificationEvent


def object_created_keys(event: dict[str, Any]) -> list[str]:
    """The keys of the objects ``event`` says were created; ``ValueError`` for another
    kind of event."""
    if "Records" in event:
        return [record.s3.get_object.key for record in S3Event(event).records]
    if event.get("source") == "aws.s3" and event.get("detail-type") == "Object Created":
        return [S3EventBridgeNotificationEvent(event).detail.object.key]
    raise ValueError(f"not an S3 object-created event: {sorted(event)}")
