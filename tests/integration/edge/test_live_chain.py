"""The whole telemetry chain on this machine: simulated Modbus meters -> the edge
component's code -> Kinesis-shaped events -> the ingest handler -> PostgreSQL -> footprints.
What the meters counted while the component ran is exactly what the store holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from pcf.usecases.demo import schema_engine
from pcf.usecases.live_demo import run_live_demo

pytestmark = pytest.mark.integration


def test_what_the_meters_counted_is_what_the_store_holds(engine: Engine, tmp_path: Path) -> None:
    live_engine = schema_engine(
        engine.url.render_as_string(hide_password=False), "live_test", fresh=True
    )
    lines: list[str] = []
    # 20 simulated minutes of a running shift, at 240x
    outcome = run_live_demo(live_engine, tmp_path / "raw", minutes=20, speed=240, say=lines.append)

    assert {check.meter_id for check in outcome.checks} == {"M1-E", "M1-P", "M2-E", "M2-G", "M2-P"}
    for check in outcome.checks:
        assert check.counted_at_meter > 0, check
        assert check.agrees, check
    # production counters count whole pieces: equal exactly
    pieces = {c.meter_id: c for c in outcome.checks if c.meter_id.endswith("-P")}
    assert all(float(c.stored) == c.counted_at_meter for c in pieces.values())
    assert outcome.dead_letters == 0
    # the raw archive holds the records by date, and footprints came out of it
    assert list((tmp_path / "raw").rglob("*.jsonl"))
    assert {f.item_id for f in outcome.calculation.footprints} == {"A", "P"}
