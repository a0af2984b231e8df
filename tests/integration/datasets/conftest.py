"""Fixtures for dataset versions, stale footprints and the mapped factor set: METHOD.md's
worked example loaded (version 1 of every kind, valid always) with its telemetry."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.sample.worked_example import worked_example_files, worked_example_telemetry
from pcf.usecases.load_datasets import load_static_files


@pytest.fixture
def worked_example(db: Engine) -> PostgresTelemetryStore:
    files = worked_example_files()
    load_static_files(db, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(db)
    store.write_windows(worked_example_telemetry())
    return store
