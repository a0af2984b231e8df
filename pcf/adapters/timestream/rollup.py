"""The Timestream scheduled query rolling raw telemetry windows up to hourly per meter.

The SQL lives in ``sql/timestream/hourly_rollup.sql``; this module fills in its
placeholders and builds the ``create_scheduled_query`` parameters around it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROLLUP_MEASURE_NAME = "hourly"
TIME_COLUMN = "hour"
# Result columns that become dimensions of the hourly record (all VARCHAR; machine_id and
# item_id carry "-" for none, as in the raw table, so none is ever NULL).
DIMENSIONS = ("site_id", "meter_id", "machine_id", "quantity", "item_id", "unit")
# Result columns that become attributes of the hourly multi-measure record.
MEASURES = (
    ("value", "DOUBLE"),
    ("windows_received", "BIGINT"),
    ("window_ms", "BIGINT"),
    ("seconds_covered", "DOUBLE"),
    ("max_revision", "BIGINT"),
    ("samples_received", "BIGINT"),
    ("samples_dropped", "BIGINT"),
)
DEFAULT_SCHEDULE = "cron(5 * * * ? *)"  # five past every hour, UTC


def sql_path() -> Path:
    """``hourly_rollup.sql``: in ``PCF_TIMESTREAM_SQL_DIR`` when set (a packaged Lambda),
    else ``sql/timestream`` at the repository root."""
    configured = os.environ.get("PCF_TIMESTREAM_SQL_DIR")
    folder = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[3] / "sql" / "timestream"
    )
    return folder / "hourly_rollup.sql"


def hourly_rollup_query(
    database: str, source_table: str, *, lookback_hours: int = 3, path: Path | None = None
) -> str:
    """The scheduled query's SQL with its placeholders filled in and comment lines
    removed; ``@scheduled_runtime`` is left for Timestream to bind."""
    if lookback_hours < 1:
        raise ValueError("lookback_hours must be at least 1")
    template = (path or sql_path()).read_text(encoding="utf-8")
    body = "\n".join(
        line for line in template.splitlines() if not line.lstrip().startswith("--")
    ).strip()
    return body.format(database=database, source_table=source_table, lookback_hours=lookback_hours)


def hourly_rollup_scheduled_query(
    *,
    database: str,
    source_table: str,
    target_table: str,
    name: str,
    execution_role_arn: str,
    sns_topic_arn: str,
    error_report_bucket: str,
    error_report_prefix: str = "timestream-rollup-errors/",
    schedule_expression: str = DEFAULT_SCHEDULE,
    lookback_hours: int = 3,
    kms_key_id: str | None = None,
    target_database: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``timestream-query`` ``create_scheduled_query``: the hourly
    rollup of ``database.source_table`` into ``target_database.target_table`` (the same
    database unless given), one ``hourly`` multi-measure record per meter and hour."""
    parameters: dict[str, Any] = {
        "Name": name,
        "QueryString": hourly_rollup_query(database, source_table, lookback_hours=lookback_hours),
        "ScheduleConfiguration": {"ScheduleExpression": schedule_expression},
        "NotificationConfiguration": {"SnsConfiguration": {"TopicArn": sns_topic_arn}},
        "TargetConfiguration": {
            "TimestreamConfiguration": {
                "DatabaseName": target_database or database,
                "TableName": target_table,
                "TimeColumn": TIME_COLUMN,
                "DimensionMappings": [
                    {"Name": column, "DimensionValueType": "VARCHAR"} for column in DIMENSIONS
                ],
                "MultiMeasureMappings": {
                    "TargetMultiMeasureName": ROLLUP_MEASURE_NAME,
                    "MultiMeasureAttributeMappings": [
                        {
                            "SourceColumn": column,
                            "TargetMultiMeasureAttributeName": column,
                            "MeasureValueType": kind,
                        }
                        for column, kind in MEASURES
                    ],
                },
            }
        },
        "ScheduledQueryExecutionRoleArn": execution_role_arn,
        "ErrorReportConfiguration": {
            "S3Configuration": {
                "BucketName": error_report_bucket,
                "ObjectKeyPrefix": error_report_prefix,
                "EncryptionOption": "SSE_S3",
            }
        },
    }
    if kms_key_id is not None:
        parameters["KmsKeyId"] = kms_key_id
    return parameters
