"""The upload API's and upload validation's environment in the cloud, parsed at cold start.

- ``DATABASE_URL``: the PostgreSQL holding data sets and uploads.
- ``OBJECT_STORE_BUCKETS``: the data lake's bucket per tier, ``raw=<bucket>
  processed=<bucket> curated=<bucket> quarantine=<bucket>`` (as the CDK app deploys
  it); or ``OBJECT_STORE_BUCKET``: one bucket, tiers by key prefix (see
  ``pcf.adapters.object_store``).
- ``MAX_UPLOAD_BYTES`` (optional): the largest file accepted, 50 MiB by default.

The local server builds its dependencies itself (``pcf.api.local_server``).
"""

from __future__ import annotations

from pydantic import Field

from pcf.adapters.object_store import S3BucketSettings, S3ObjectStore
from pcf.adapters.postgres.connection import create_engine
from pcf.api.auth import cognito_authenticator
from pcf.api.routes import ApiDependencies
from pcf.usecases.uploads import DEFAULT_MAX_UPLOAD_BYTES, UploadDependencies, UploadLimits


class CloudSettings(S3BucketSettings):
    database_url: str = Field(alias="DATABASE_URL", min_length=1)
    max_upload_bytes: int = Field(alias="MAX_UPLOAD_BYTES", default=DEFAULT_MAX_UPLOAD_BYTES, gt=0)


def cloud_upload_dependencies(settings: CloudSettings) -> UploadDependencies:
    """PostgreSQL and the S3 bucket, with the Lambda's own region and role."""
    import boto3

    return UploadDependencies(
        engine=create_engine(settings.database_url),
        store=S3ObjectStore(boto3.client("s3"), settings.buckets),
        limits=UploadLimits(max_bytes=settings.max_upload_bytes),
    )


def cloud_api_dependencies(settings: CloudSettings) -> ApiDependencies:
    """The API behind API Gateway: callers as the Cognito authorizer verified them."""
    return ApiDependencies(cloud_upload_dependencies(settings), cognito_authenticator)
