"""The same upload use case on S3 (moto): pre-signed PUT, the S3 event's validation,
acceptance and quarantine by key."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from pcf.adapters.object_store import S3ObjectStore
from pcf.usecases.uploads import (
    UploadDependencies,
    UploadStatus,
    process_landed_object,
)
from tests.integration.api.conftest import BUCKET, TECHNOLOGY_FACTORS, upload_via_presigned_url

pytestmark = pytest.mark.integration


def test_a_valid_file_on_s3_is_loaded_and_stays_in_the_raw_tier(db: Engine, s3: Any) -> None:
    dependencies = UploadDependencies(db, S3ObjectStore(s3, BUCKET))
    key = upload_via_presigned_url(dependencies, TECHNOLOGY_FACTORS)

    # When the S3 event arrives (twice: S3 delivers at least once)
    upload = process_landed_object(dependencies, key)
    again = process_landed_object(dependencies, key)

    assert upload.status is UploadStatus.ACCEPTED
    assert again.dataset_version == upload.dataset_version == 1
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == TECHNOLOGY_FACTORS


def test_a_rejected_file_on_s3_moves_to_quarantine_untouched(db: Engine, s3: Any) -> None:
    bad = TECHNOLOGY_FACTORS.replace(b"820", b"-820")
    dependencies = UploadDependencies(db, S3ObjectStore(s3, BUCKET))
    key = upload_via_presigned_url(dependencies, bad)

    upload = process_landed_object(dependencies, key)

    assert upload.status is UploadStatus.REJECTED
    assert [(e.row, e.column) for e in upload.errors] == [(2, "co2e_kg")]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [upload.quarantine_key]
    quarantined = s3.get_object(Bucket=BUCKET, Key=upload.quarantine_key)
    assert quarantined["Body"].read() == bad
