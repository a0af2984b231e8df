"""The hourly rollup scheduled query: its SQL and the create_scheduled_query parameters."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pcf.adapters.timestream import (
    TimestreamTelemetryStore,
    hourly_rollup_query,
    hourly_rollup_scheduled_query,
)
from pcf.adapters.timestream.rollup import DIMENSIONS, MEASURES, sql_path
from tests.unit.timestream.timestream_fakes import DATABASE, TABLE

ROLE = "arn:aws:iam::123456789012:role/pcf-timestream-rollup"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:pcf-timestream-rollup"


def parameters(**overrides: Any) -> dict[str, Any]:
    return hourly_rollup_scheduled_query(
        database=DATABASE,
        source_table=TABLE,
        target_table="telemetry_hourly",
        name="pcf-telemetry-hourly",
        execution_role_arn=ROLE,
        sns_topic_arn=TOPIC,
        error_report_bucket="pcf-timestream-errors",
        **overrides,
    )


def selected_aliases(sql: str) -> list[str]:
    select = sql.split("SELECT", 1)[1].split("FROM", 1)[0]
    return [
        re.split(r"\s+AS\s+", item.strip(), flags=re.IGNORECASE)[-1]
        for item in re.split(r",\s*\n", select.strip())
    ]


def test_the_sql_file_rolls_raw_windows_up_to_hourly_per_meter() -> None:
    assert sql_path().is_file()
    sql = hourly_rollup_query(DATABASE, TABLE, lookback_hours=2)

    assert "--" not in sql and "{" not in sql
    assert f'FROM "{DATABASE}"."{TABLE}"' in sql
    assert "measure_name = 'window'" in sql
    assert "bin(time, 1h) AS hour" in sql
    assert "time >= bin(@scheduled_runtime, 1h) - 2h" in sql
    assert "time < bin(@scheduled_runtime, 1h)" in sql
    for aggregate in (
        "sum(value) AS value",
        "count(*) AS windows_received",
        "sum(window_ms) AS window_ms",
        "max(revision) AS max_revision",
    ):
        assert aggregate in sql
    assert re.search(
        r"GROUP BY site_id, meter_id, machine_id, quantity, item_id, unit, bin\(time, 1h\)$", sql
    )


def test_the_parameters_map_every_result_column() -> None:
    request = parameters()
    target = request["TargetConfiguration"]["TimestreamConfiguration"]
    mapped = (
        [target["TimeColumn"]]
        + [mapping["Name"] for mapping in target["DimensionMappings"]]
        + [
            mapping["SourceColumn"]
            for mapping in target["MultiMeasureMappings"]["MultiMeasureAttributeMappings"]
        ]
    )

    assert sorted(mapped) == sorted(selected_aliases(request["QueryString"]))
    assert target["DatabaseName"] == DATABASE
    assert target["TableName"] == "telemetry_hourly"
    assert target["MultiMeasureMappings"]["TargetMultiMeasureName"] == "hourly"
    assert {m["Name"] for m in target["DimensionMappings"]} == set(DIMENSIONS)
    assert {
        (m["SourceColumn"], m["MeasureValueType"])
        for m in target["MultiMeasureMappings"]["MultiMeasureAttributeMappings"]
    } == set(MEASURES)
    assert request["ScheduleConfiguration"] == {"ScheduleExpression": "cron(5 * * * ? *)"}
    assert request["NotificationConfiguration"] == {"SnsConfiguration": {"TopicArn": TOPIC}}
    assert request["ScheduledQueryExecutionRoleArn"] == ROLE
    assert "KmsKeyId" not in request
    assert parameters(kms_key_id="alias/pcf")["KmsKeyId"] == "alias/pcf"


def test_timestream_accepts_the_parameters(query_client: Any) -> None:
    """botocore validates them against the service model; moto stores them."""
    arn = query_client.create_scheduled_query(**parameters())["Arn"]

    described = query_client.describe_scheduled_query(ScheduledQueryArn=arn)["ScheduledQuery"]
    mappings = described["TargetConfiguration"]["TimestreamConfiguration"]
    assert mappings["MultiMeasureMappings"]["TargetMultiMeasureName"] == "hourly"
    assert described["QueryString"] == parameters()["QueryString"]


def test_the_store_fills_in_its_own_tables() -> None:
    store = TimestreamTelemetryStore(None, None, DATABASE, TABLE, rollup_table="telemetry_hourly")
    request = store.hourly_rollup_scheduled_query(
        name="n", execution_role_arn=ROLE, sns_topic_arn=TOPIC, error_report_bucket="b"
    )
    assert request == {
        **parameters(),
        "Name": "n",
        "ErrorReportConfiguration": {
            "S3Configuration": {
                "BucketName": "b",
                "ObjectKeyPrefix": "timestream-rollup-errors/",
                "EncryptionOption": "SSE_S3",
            }
        },
    }
    with pytest.raises(ValueError, match="no rollup_table"):
        TimestreamTelemetryStore(None, None, DATABASE, TABLE).hourly_rollup_scheduled_query()


def test_lookback_must_be_positive() -> None:
    with pytest.raises(ValueError, match="lookback_hours"):
        hourly_rollup_query(DATABASE, TABLE, lookback_hours=0)
