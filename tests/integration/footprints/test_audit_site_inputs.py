"""Audit records of version 2 in the database (docs/decisions/0012): each run's site-wide
inputs are one record of the chain, each footprint's record holds its own BOM sub-graph
and names that record by sha256; together they recompute bit for bit, and a change to
either is detected."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.results import (
    read_audit_chain,
    read_audit_record,
    read_run_site_inputs,
    read_site_inputs,
)
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.api.auth import Role
from pcf.core.audit import canonical_json, recompute_from_record, verify_chain
from pcf.sample.worked_example import worked_example_files, worked_example_telemetry
from pcf.usecases.calculate import calculate_site_period
from pcf.usecases.footprints import footprint_audit
from pcf.usecases.load_datasets import load_static_files
from tests.integration.api.conftest import Client
from tests.integration.conftest import empty_tables
from tests.integration.footprints.conftest import TwoSites

pytestmark = pytest.mark.integration


def _stored(db: Engine, footprint_id: int) -> tuple[dict[str, object], str]:
    """A footprint's record as stored, and the stored text of the site inputs it names."""
    chained = read_audit_record(db, footprint_id)
    assert chained is not None
    record = json.loads(chained.record_json)
    site = read_site_inputs(db, record["site_inputs"]["sha256"])
    assert site is not None
    return record, site.record_json


def test_a_footprint_recomputes_bit_identically_from_its_record_and_the_site_inputs(
    db: Engine, two_sites: TwoSites
) -> None:
    p = two_sites.s1.footprint_ids["P"]
    record, site_json = _stored(db, p)
    # Given P's record holds its own sub-graph, not the site's meters or production ...
    assert record["record_version"] == 2
    assert set(record["inputs"]) == {  # type: ignore[arg-type]
        "items",
        "bom",
        "emission_factors",
        "factor_mapping",
        "supplier_footprints",
    }
    # ... and names the site inputs by the sha256 of their stored canonical JSON
    site_sha = hashlib.sha256(site_json.encode()).hexdigest()
    assert record["site_inputs"] == {"sha256": site_sha}
    site = json.loads(site_json)
    assert site["inputs"]["meters"]["meter_id"] == ["M1-E", "M2-E", "M2-G"]
    # When P is recomputed from the two
    recomputed, differences = recompute_from_record(record, site)
    # Then it is the stored footprint, bit for bit: METHOD.md's 10.1207884 kg CO2e
    assert differences == []
    with db.begin() as connection:
        stored_total = connection.execute(
            text("SELECT total_kg_co2e FROM footprint WHERE id = :id"), {"id": p}
        ).scalar_one()
    assert recomputed["total_kg_co2e"] == stored_total == pytest.approx(10.1207884, rel=1e-9)
    # and each run stored its site inputs once, found by run too
    by_run = read_run_site_inputs(db, two_sites.s1.run_id)
    assert by_run is not None and by_run.record_json == site_json
    with db.begin() as connection:
        runs = connection.execute(text("SELECT count(*) FROM audit_site_inputs")).scalar_one()
        records = connection.execute(text("SELECT count(*) FROM audit_record")).scalar_one()
    footprints = len(two_sites.s1.footprint_ids) + len(two_sites.s2.footprint_ids)
    assert (runs, records) == (2, 2 + footprints)


def test_the_audit_route_joins_the_site_inputs_in(client: Client, two_sites: TwoSites) -> None:
    p = two_sites.s1.footprint_ids["P"]
    audit = client.call("GET", f"/footprints/{p}/audit", role=Role.AUDITOR).json()
    assert audit["reproduces"] is True
    record = audit["record"]
    # down to meter totals (with their windows' hash), energy factors and dataset versions
    telemetry = {t["meter_id"]: t for t in record["telemetry"]}
    assert float(telemetry["M1-E"]["total"]) == 1000
    assert record["inputs"]["meters"]["meter_id"] == ["M1-E", "M2-E", "M2-G"]
    assert record["steps"]["electricity_location_kg_per_kwh"] == pytest.approx(0.4783)
    assert record["dataset_versions"]["emission_factors"]["version"] == 1
    assert sorted(record["inputs"]["items"]["item_id"]) == ["A", "ALU", "C", "P", "STEEL"]
    assert isinstance(audit["site_inputs_sequence"], int)


def test_a_changed_site_inputs_record_is_detected(
    db: Engine, client: Client, two_sites: TwoSites
) -> None:
    p = two_sites.s1.footprint_ids["P"]
    record, site_json = _stored(db, p)
    # Given someone changes a meter total in S1's site-inputs record, in place
    site = json.loads(site_json)
    site["inputs"]["meters"]["total"][0] = 999.0
    with db.begin() as connection:
        sequence = connection.execute(
            text("SELECT sequence FROM audit_site_inputs WHERE sha256 = :sha"),
            {"sha": record["site_inputs"]["sha256"]},  # type: ignore[index]
        ).scalar_one()
        connection.execute(text("SET LOCAL pcf.allow_audit_tamper = on"))
        connection.execute(
            text("UPDATE audit_record SET record_json = :json WHERE sequence = :sequence"),
            {"json": canonical_json(site), "sequence": sequence},
        )
    # Then the chain names that record ...
    problems = verify_chain(read_audit_chain(db))
    assert [(p.sequence, p.reason) for p in problems] == [
        (sequence, "content does not match its hash: tampered")
    ]
    # ... and P no longer reproduces: its site inputs are not the ones it names
    assert footprint_audit(db, p).differences_on_recompute == ["site_inputs"]
    audit = client.call("GET", f"/footprints/{p}/audit", role=Role.AUDITOR).json()
    assert audit["reproduces"] is False and audit["differences_on_recompute"] == ["site_inputs"]


def _p_record_with_other_products(db: Engine, others: int) -> tuple[dict[str, object], str]:
    """P's stored record and its site inputs when S1 also makes ``others`` products (each
    from its own material, on M1, counts uploaded)."""
    empty_tables(db)
    files = worked_example_files()
    names = [f"Q{i:03d}" for i in range(others)]
    files["items"] += "".join(f"{q},Q,product,piece,,,,\n" for q in names).encode()
    files["bom"] += "".join(f"{q},STEEL,0.25,kg,0\n" for q in names).encode()
    files["production_counts"] = (
        b"site_id,machine_id,item_id,period_start,period_end,quantity\n"
        + "".join(f"S1,M1,{q},2026-01-01,2026-02-01,7\n" for q in names).encode()
    )
    load_static_files(db, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(db)
    store.write_windows(worked_example_telemetry())
    result = calculate_site_period(db, store, "S1", "2026-01")
    return _stored(db, result.footprint_ids["P"])


def test_a_footprints_own_record_does_not_grow_with_the_products_of_its_site(
    db: Engine,
) -> None:
    small_record, small_site = _p_record_with_other_products(db, 10)
    large_record, large_site = _p_record_with_other_products(db, 200)
    # P's own inputs are the same document beside 10 or 200 other products, and its
    # record the same size but for the numbers of its result (its energy share differs)
    assert canonical_json(small_record["inputs"]) == canonical_json(large_record["inputs"])

    def own_size(record: dict[str, object]) -> int:
        return len(canonical_json({**record, "result": None}))

    assert own_size(small_record) == own_size(large_record)
    # only the run's site-inputs record grows with them
    assert len(large_site) > 3 * len(small_site)
