"""The sample files and telemetry run through the production code: the upload validator
(``validate_files``) and the engine input assembly (``assemble_site_inputs``)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal

import pyarrow as pa

from pcf.core.model import FootprintInputs, MethodSettings
from pcf.core.period import month_period
from pcf.core.telemetry import MeterPeriodTotal, TelemetryWindow
from pcf.core.units import CANONICAL_UNIT, conversion_factor, dimension_of
from pcf.formats.definitions import FORMATS, STATIC_FORMATS, ColumnType
from pcf.formats.validation import typed_schema, validate_files
from pcf.usecases.site_inputs import assemble_site_inputs, site_row


def check_files(files: Mapping[str, bytes]) -> dict[str, pa.Table]:
    """Every file passes the upload validator; returns the typed tables by kind.

    Also asserts what the validator tolerates in an upload but a generated file must not
    do: another column order, delimiter or a BOM, blank lines, untrimmed cells, numbers
    with an exponent, URNs separated by anything but one space."""
    for kind, data in files.items():
        header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        assert header == list(FORMATS[kind].column_names), kind
        for number, row in enumerate(rows, start=2):
            assert len(row) == len(header), f"{kind} row {number} has {len(row)} cells"
            for column, text in zip(FORMATS[kind].columns, row, strict=True):
                assert text == text.strip(), f"{kind} row {number}, {column.name}: {text!r}"
                if column.type in (ColumnType.NUMBER, ColumnType.INTEGER):
                    assert "e" not in text.lower(), f"{kind} row {number}: {text} has an exponent"
                if column.type is ColumnType.URN_LIST and text:
                    assert text.split(" ") == text.split(), f"{kind} row {number}: {text!r}"
    results = validate_files({kind: (f"{kind}.csv", data) for kind, data in files.items()})
    errors = [str(error) for result in results.values() for error in result.errors]
    assert all(result.ok for result in results.values()), "\n".join(errors)
    return {kind: result.table for kind, result in results.items()}


def footprint_inputs(
    files: Mapping[str, bytes], windows: Iterable[TelemetryWindow], site_id: str, month: str
) -> FootprintInputs:
    """The site's engine inputs for ``month`` (YYYY-MM), as ``calculate_site_period``
    assembles them, with the windows summed per meter as the telemetry store sums them."""
    checked = check_files(files)
    tables = {
        f.kind: checked[f.kind] if f.kind in checked else typed_schema(f).empty_table()
        for f in STATIC_FORMATS
    }
    period = month_period(month, site_row(tables["sites"], site_id)["time_zone"])
    by_meter: dict[str, list[TelemetryWindow]] = defaultdict(list)
    for w in windows:
        if w.site_id == site_id and period.start <= w.window_start < period.end:
            by_meter[w.meter_id].append(w)
    totals = []
    for meter_id, meter_windows in sorted(by_meter.items()):
        first = meter_windows[0]
        unit = CANONICAL_UNIT[dimension_of(first.unit)]
        total = sum(w.value * conversion_factor(w.unit, unit) for w in meter_windows)
        covered = sum((w.window_end - w.window_start for w in meter_windows), timedelta())
        totals.append(
            MeterPeriodTotal(
                meter_id=meter_id,
                machine_id=first.machine_id,
                quantity=first.quantity,
                item_id=first.item_id,
                unit=unit,
                total=Decimal(repr(total)),
                windows_received=len(meter_windows),
                seconds_covered=round(covered.total_seconds()),
                period_seconds=period.seconds,
                windows_hash="",
            )
        )
    versions = {kind: f"{kind}@1" for kind in tables}
    return assemble_site_inputs(tables, versions, site_id, period, totals, MethodSettings()).inputs
