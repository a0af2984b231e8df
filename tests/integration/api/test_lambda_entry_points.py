"""The upload Lambdas as deployed: ``lambdas/upload_validation/handler.py`` and
``lambdas/mapping/handler.py`` on S3 object-created events (S3 notification and
EventBridge shapes) and ``lambdas/api/handler.py`` on API Gateway REST events carrying the
Cognito authorizer's claims, against S3 (moto) and the real PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from pcf.adapters.object_store import S3ObjectStore
from pcf.sample.worked_example import worked_example_files
from pcf.usecases.load_datasets import load_static_files
from pcf.usecases.uploads import UploadDependencies, UploadStatus, read_upload, upload_id_of_key
from tests.api_gateway_events import rest_event
from tests.integration.api.conftest import BUCKET, TECHNOLOGY_FACTORS, upload_via_presigned_url
from tests.integration.ingest.kinesis_events import FakeLambdaContext
from tests.lambda_entry_points import load_handler_module

pytestmark = pytest.mark.integration

ACCEPT_JSON = {"Accept": "application/json"}


@pytest.fixture
def cloud_environment(db: Engine, s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("OBJECT_STORE_BUCKET", BUCKET)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "pcf")


def s3_event(key: str, size: int) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "eu-central-1",
                "eventTime": "2026-11-22T10:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                    "object": {"key": key, "size": size, "eTag": "0", "sequencer": "0"},
                },
            }
        ]
    }


def test_the_s3_event_handler_validates_and_loads_a_landed_upload(
    db: Engine, s3: Any, cloud_environment: None
) -> None:
    key = upload_via_presigned_url(
        UploadDependencies(db, S3ObjectStore(s3, BUCKET)), TECHNOLOGY_FACTORS
    )
    handler = load_handler_module("upload_validation")

    handler.lambda_handler(s3_event(key, len(TECHNOLOGY_FACTORS)), FakeLambdaContext())
    handler.lambda_handler(s3_event("raw/other/thing.csv", 1), FakeLambdaContext())  # ignored

    upload_id = upload_id_of_key(key)
    assert upload_id is not None
    upload = read_upload(db, upload_id)
    assert upload.status is UploadStatus.ACCEPTED
    assert upload.dataset_version == 1


def test_the_api_handler_serves_callers_the_cognito_authorizer_verified(
    cloud_environment: None,
) -> None:
    handler = load_handler_module("api")

    def datasets_as(claims: dict[str, str] | None) -> dict[str, Any]:
        event = rest_event("GET", "/datasets", headers=ACCEPT_JSON, claims=claims)
        response: dict[str, Any] = handler.lambda_handler(event, FakeLambdaContext())
        return response

    sme = datasets_as({"sub": "alice", "cognito:groups": "sme"})
    anonymous = datasets_as(None)
    partner = datasets_as({"sub": "acme", "cognito:groups": "partner"})

    assert sme["statusCode"] == 200
    assert "technology_factors" in {d["kind"] for d in json.loads(sme["body"])["datasets"]}
    assert anonymous["statusCode"] == 401
    assert partner["statusCode"] == 403


def eventbridge_object_created(key: str) -> dict[str, Any]:
    """EventBridge's "Object Created" event of the bucket, as the deployed rule passes it."""
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-22T10:00:00Z",
        "region": "eu-central-1",
        "resources": [f"arn:aws:s3:::{BUCKET}"],
        "detail": {
            "version": "0",
            "bucket": {"name": BUCKET},
            "object": {"key": key, "size": 100, "etag": "0", "sequencer": "0"},
            "request-id": "0",
            "requester": "123456789012",
            "reason": "PutObject",
        },
    }


def test_the_mapping_handler_publishes_the_mapped_factors_when_a_version_lands(
    db: Engine, s3: Any, cloud_environment: None
) -> None:
    # Given the worked example's data sets loaded (as accepted uploads leave them)
    load_static_files(
        db, {kind: (f"{kind}.csv", data) for kind, data in worked_example_files().items()}
    )
    handler = load_handler_module("mapping")
    # When a version's typed rows land in the processed tier, and a download export does
    version = "processed/bom/version=7/bom.parquet"
    answer = handler.lambda_handler(eventbridge_object_created(version), FakeLambdaContext())
    export = handler.lambda_handler(
        eventbridge_object_created("processed/datasets/bom/3.csv"), FakeLambdaContext()
    )
    # Then the first publishes today's mapped factor set to the curated tier, every part
    assert answer["mapped"] is True
    assert set(answer["keys"]) == {"items", "electricity", "natural_gas"}
    stored = {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    for key in answer["keys"].values():
        assert key in stored
        assert key.startswith("curated/mapped_factors/") and f"as_of={answer['as_of']}" in key
    # and the export is not a version: nothing to map
    assert export == {"mapped": False, "keys": {}}
    # and a redelivered event writes nothing new (the set's key is a digest of its inputs)
    again = handler.lambda_handler(eventbridge_object_created(version), FakeLambdaContext())
    assert again["keys"] == answer["keys"]
    assert {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]} == stored


def test_the_upload_handler_takes_eventbridge_object_created_too(
    db: Engine, s3: Any, cloud_environment: None
) -> None:
    key = upload_via_presigned_url(
        UploadDependencies(db, S3ObjectStore(s3, BUCKET)), TECHNOLOGY_FACTORS
    )
    handler = load_handler_module("upload_validation")
    handler.lambda_handler(eventbridge_object_created(key), FakeLambdaContext())
    upload_id = upload_id_of_key(key)
    assert upload_id is not None
    assert read_upload(db, upload_id).status is UploadStatus.ACCEPTED
