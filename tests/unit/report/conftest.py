"""Footprints for the report tests: METHOD.md's worked example, computed by the engine."""

from __future__ import annotations

import pytest

from pcf.core.engine import FootprintCalculation, ItemFootprint
from pcf.sample.worked_example import PERIOD, worked_example_files, worked_example_telemetry
from tests.unit.sample.production_path import footprint_inputs


@pytest.fixture(scope="session")
def worked_example_footprints() -> dict[str, ItemFootprint]:
    inputs = footprint_inputs(worked_example_files(), worked_example_telemetry(), "S1", PERIOD)
    calculation = FootprintCalculation(inputs)
    return {item: calculation.footprint(item) for item in ("P", "A")}
