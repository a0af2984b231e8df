"""The calculator's schedules, the audit log's batching and the curated footprint rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pcf.adapters.audit_log import MAX_BYTES_PER_CALL, FolderAuditLog, _batches
from pcf.usecases.calculation_runs import Schedule, scheduled_period
from pcf.usecases.export_results import FOOTPRINT_SCHEMA, footprint_table


def test_the_previous_month_schedule_in_january_calculates_december() -> None:
    assert (
        scheduled_period(Schedule.PREVIOUS_MONTH, datetime(2027, 1, 2, 6, tzinfo=UTC)) == "2026-12"
    )
    assert (
        scheduled_period(Schedule.PREVIOUS_MONTH, datetime(2026, 7, 2, 6, tzinfo=UTC)) == "2026-06"
    )
    assert (
        scheduled_period(Schedule.CURRENT_MONTH, datetime(2026, 7, 2, 6, tzinfo=UTC)) == "2026-07"
    )


def test_audit_lines_are_sent_in_calls_within_cloudwatch_limits() -> None:
    messages = ["x" * 100_000] * 25  # 2.5 MB

    batches = list(_batches(messages))

    assert sum(len(b) for b in batches) == 25
    assert all(sum(len(m) + 26 for m in b) <= MAX_BYTES_PER_CALL for b in batches)


def test_the_folder_audit_log_appends_one_sorted_json_line_per_footprint(tmp_path: Path) -> None:
    log = FolderAuditLog(tmp_path)

    log.write("2026-01/S1/run-7", [{"b": 1, "a": 2}, {"a": 3}])

    lines = (tmp_path / "2026-01/S1/run-7.jsonl").read_text().splitlines()
    assert lines == ['{"a":2,"b":1}', '{"a":3}']


def test_stored_footprint_rows_become_the_curated_schema_with_breakdowns_as_json() -> None:
    row = {
        "id": 11,
        "run_id": 3,
        "site_id": "S1",
        "period_label": "2026-01",
        "item_id": "P",
        "total_kg_co2e": 1.5,
        "by_category": {"electricity": 1.5},
        "notes": [],
        "complete": True,
    }

    table = footprint_table([row])

    assert table.schema == FOOTPRINT_SCHEMA
    assert table.column("footprint_id").to_pylist() == [11]
    assert table.column("by_category").to_pylist() == ['{"electricity": 1.5}']
    assert table.column("item_type").to_pylist() == [None]
