"""Where the cloud functions keep objects: one bucket, or a bucket per tier; the upload
API and the calculator read it the same way."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pcf.api.settings import CloudSettings
from pcf.usecases.calculation_runs import CalculatorSettings

TIERS = "raw=r-bucket processed=p-bucket curated=c-bucket quarantine=q-bucket"
BASE = {"DATABASE_URL": "postgresql://db/pcf", "AUDIT_LOG_GROUP": "/pcf/test/audit"}


@pytest.mark.parametrize("settings", [CloudSettings, CalculatorSettings])
def test_a_bucket_per_tier_or_one_bucket(settings: type[CloudSettings]) -> None:
    assert settings.from_environment({**BASE, "OBJECT_STORE_BUCKETS": TIERS}).buckets == {
        "raw": "r-bucket",
        "processed": "p-bucket",
        "curated": "c-bucket",
        "quarantine": "q-bucket",
    }
    assert settings.from_environment({**BASE, "OBJECT_STORE_BUCKET": "lake"}).buckets == "lake"


@pytest.mark.parametrize("settings", [CloudSettings, CalculatorSettings])
@pytest.mark.parametrize(
    ("buckets", "message"),
    [
        ({}, "exactly one of OBJECT_STORE_BUCKET and OBJECT_STORE_BUCKETS"),
        (
            {"OBJECT_STORE_BUCKET": "lake", "OBJECT_STORE_BUCKETS": TIERS},
            "exactly one of OBJECT_STORE_BUCKET and OBJECT_STORE_BUCKETS",
        ),
        ({"OBJECT_STORE_BUCKETS": "raw=r-bucket"}, "no bucket for the tiers"),
        ({"OBJECT_STORE_BUCKETS": "logs=l-bucket"}, "expected 'tier=bucket'"),
    ],
)
def test_the_setting_is_refused_at_cold_start_when_wrong(
    settings: type[CloudSettings], buckets: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        settings.from_environment({**BASE, **buckets})
