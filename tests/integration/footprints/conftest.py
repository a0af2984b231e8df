"""Footprint API, publishing and curated-view fixtures: METHOD.md's worked example (site
S1) plus a second site S2 whose machine M3 makes the same sub-assembly A by the same
process as M2 (machining), with more electricity and no gas, both calculated for
January 2026.

S2 by hand: M3 meters 1000 kWh and produces 1000 A, so A at S2 is
0.3 x 8.6 + 1.2 + 1000 x 0.4783 / 1000 = 4.2583 kg CO2e/piece.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.api.local_server import LocalServer
from pcf.core.telemetry import TelemetryWindow
from pcf.formats.definitions import MeterQuantity
from pcf.sample.worked_example import (
    PERIOD,
    RUN_START,
    worked_example_files,
    worked_example_telemetry,
)
from pcf.usecases.calculate import SiteCalculation, calculate_site_period
from pcf.usecases.load_datasets import load_static_files
from tests.integration.api.conftest import Client

S2_ROWS = {
    "sites": b"S2,Site S2,Europe/Berlin,R1,location,,,,36,gross,EF-NG,,units\n",
    "machines": b"M3,S2,Machine M3 (makes A),machining,units\n",
    "meters": b"M3-E,S2,M3,electricity,kWh,,60\nM3-P,S2,M3,production_count,piece,A,60\n",
}


def site_s2_telemetry() -> list[TelemetryWindow]:
    """Ten one-minute windows: M3-E 100 kWh and M3-P 100 pieces of A in each."""
    windows = []
    for meter_id, quantity, unit, item_id in (
        ("M3-E", MeterQuantity.ELECTRICITY, "kWh", None),
        ("M3-P", MeterQuantity.PRODUCTION_COUNT, "piece", "A"),
    ):
        for k in range(10):
            start = RUN_START + timedelta(minutes=k)
            windows.append(
                TelemetryWindow(
                    site_id="S2",
                    machine_id="M3",
                    meter_id=meter_id,
                    quantity=quantity,
                    item_id=item_id,
                    window_start=start,
                    window_end=start + timedelta(minutes=1),
                    value=100.0,
                    unit=unit,
                    revision=0,
                    samples_received=60,
                    samples_dropped=0,
                )
            )
    return windows


@dataclass(frozen=True)
class TwoSites:
    store: PostgresTelemetryStore
    s1: SiteCalculation
    s2: SiteCalculation


@pytest.fixture
def two_sites(db: Engine) -> TwoSites:
    files = worked_example_files()
    for kind, rows in S2_ROWS.items():
        files[kind] = files[kind] + rows
    load_static_files(db, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(db)
    store.write_windows(worked_example_telemetry() + site_s2_telemetry())
    return TwoSites(
        store,
        calculate_site_period(db, store, "S1", PERIOD),
        calculate_site_period(db, store, "S2", PERIOD),
    )


@pytest.fixture
def client(db: Engine, two_sites: TwoSites, tmp_path: Path) -> Iterator[Client]:
    """A client of the real local server on the two calculated sites."""
    local = LocalServer(db, b"test secret", objects_dir=tmp_path / "objects", port=0)
    with local.running():
        yield Client(local)
