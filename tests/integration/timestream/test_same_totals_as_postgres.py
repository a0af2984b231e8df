"""The Timestream and PostgreSQL stores give the same totals and windows hashes for the
same windows: canonical units, revisions, fractional seconds, missing machines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.adapters.timestream import TimestreamTelemetryStore
from pcf.core.telemetry import TelemetryStore
from pcf.formats.definitions import MeterQuantity
from tests.unit.timestream.timestream_fakes import (
    DATABASE,
    HOUR,
    JANUARY,
    TABLE,
    RecordsQueryClient,
    window,
)

pytestmark = pytest.mark.integration

WRITES = [
    [window(minute, 0.5 + minute / 7) for minute in range(40)]
    + [window(minute, 1500.0 + minute, unit="Wh", meter_id="W1") for minute in range(10)]
    + [
        window(
            minute,
            100.0,
            unit="ft3",
            meter_id="G1",
            machine_id=None,
            quantity=MeterQuantity.NATURAL_GAS,
        )
        for minute in range(10)
    ]
    + [window(minute, 60.0, meter_id="K1", length=timedelta(seconds=30.5)) for minute in range(5)]
    + [window(minute, 1e-05, meter_id="T1") for minute in range(3)]
    + [window(minute, 60000.0, unit="Wh", meter_id="T1") for minute in range(3, 6)]
    + [
        window(
            minute,
            3.0,
            meter_id="C1",
            unit="piece",
            quantity=MeterQuantity.PRODUCTION_COUNT,
            item_id="A" if minute % 2 else "B",
        )
        for minute in range(6)
    ],
    [window(3, 0.75, revision=1), window(4, 9.0, revision=0), window(5, 2.5, revision=3)],
    [window(5, 2.5, revision=3), window(5, 1.0, revision=2)],
]


def test_both_stores_report_the_same_totals(db: Engine, write_client: Any) -> None:
    stores: list[TelemetryStore] = [
        PostgresTelemetryStore(db),
        TimestreamTelemetryStore(write_client, RecordsQueryClient(page_size=9), DATABASE, TABLE),
    ]
    for store in stores:
        for windows in WRITES:
            store.write_windows(windows)

    postgres, timestream = (
        store.meter_period_totals("S1", JANUARY, JANUARY + HOUR) for store in stores
    )

    assert len(postgres) == 7
    assert timestream == postgres
