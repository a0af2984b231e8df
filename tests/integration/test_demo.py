"""The demo end to end, on the small sample factory."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.results import read_audit_chain
from pcf.core.audit import verify_chain
from pcf.sample.spec import SMALL
from pcf.usecases.demo import run_demo
from pcf.usecases.footprints import footprint_audit

pytestmark = pytest.mark.integration


def test_demo_runs_the_pipeline_and_reproduces_the_worked_example(
    db: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    printed = io.StringIO()
    outcome = run_demo(SMALL, tmp_path / "unused", tmp_path / "out", stream=printed, progress=False)

    # every product of both sites has a footprint, written to results and the report
    assert {c.site_id for c in outcome.calculations} == {"S-BER", "S-CHI"}
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    products = [r for r in results if r["item_type"] == "product"]
    assert len(products) == 3 and all(r["total_kg_co2e"] > 0 for r in products)
    report = (tmp_path / "out" / "report.html").read_text()
    assert report.count("<svg") >= 3
    # the table is printed, and the worked example reproduced
    assert "kg CO2e/unit" in printed.getvalue()
    assert outcome.worked_example_reproduced
    assert outcome.worked_example["P"] == pytest.approx(10.1207884, rel=1e-9)

    # and every footprint of the factory recomputes bit-identically from its audit
    # record and its run's site inputs, and the chain holding them is intact
    footprint_ids = [i for c in outcome.calculations for i in c.footprint_ids.values()]
    assert len(footprint_ids) >= 10
    for footprint_id in footprint_ids:
        differences = footprint_audit(db, footprint_id).differences_on_recompute
        assert differences == [], f"footprint {footprint_id} differs in {differences}"
    assert verify_chain(read_audit_chain(db)) == []
