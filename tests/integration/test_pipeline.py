"""The pipeline through its use cases and the CLI: load, calculate, audit, bad input.

METHOD.md's worked example goes through the same loaders, telemetry store and calculator
as any upload, against the real PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.datasets import current_versions
from pcf.adapters.postgres.results import read_audit_chain
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.cli import main
from pcf.core.audit import verify_chain
from pcf.core.engine import machine_breakdown
from pcf.sample.worked_example import worked_example_files, worked_example_telemetry
from pcf.usecases.calculate import calculate_site_period
from pcf.usecases.footprints import footprint_audit
from pcf.usecases.load_datasets import DatasetRejected, load_static_files

pytestmark = pytest.mark.integration
REL = 1e-9


def _load_worked_example(db: Engine, **extra: bytes) -> PostgresTelemetryStore:
    files = {**worked_example_files(), **extra}
    load_static_files(db, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(db)
    store.write_windows(worked_example_telemetry())
    return store


@pytest.fixture
def cli_database(db: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    return db


def test_worked_example_through_loaders_store_and_calculator(db: Engine) -> None:
    store = _load_worked_example(db)
    result = calculate_site_period(db, store, "S1", "2026-01")
    by_item = {f.item_id: f for f in result.footprints}
    p = by_item["P"]
    assert by_item["A"].total_kg_co2e == pytest.approx(4.1070942, rel=REL)
    assert p.total_kg_co2e == pytest.approx(10.1207884, rel=REL)
    assert p.by_category == pytest.approx(
        {
            "materials": 6.11,
            "purchased_parts": 2.4,
            "electricity": 1.53056,
            "natural_gas": 0.0802284,
        },
        rel=REL,
    )
    assert machine_breakdown(p)["M2"] == pytest.approx(
        {"electricity": 0.57396, "natural_gas": 0.0802284}, rel=REL
    )
    assert p.primary_data_share == pytest.approx(0.277724253, rel=REL)
    # the run pins the exact dataset versions it used
    versions = current_versions(db)
    assert result.dataset_versions == versions


def test_audit_record_names_versions_and_meter_totals_and_recomputes(
    cli_database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _load_worked_example(cli_database)
    result = calculate_site_period(cli_database, store, "S1", "2026-01")
    footprint_id = result.footprint_ids["P"]
    # the footprint's record joined with its run's site inputs (docs/decisions/0012)
    document = footprint_audit(cli_database, footprint_id).record
    assert document["dataset_versions"]["bom"]["version"] == 1
    telemetry = {t["meter_id"]: t for t in document["telemetry"]}
    assert (
        float(telemetry["M1-E"]["total"]) == 1000 and len(telemetry["M1-E"]["windows_hash"]) == 64
    )

    assert main(["audit", "recompute", str(footprint_id)]) == 0
    assert "identical, bit for bit" in capsys.readouterr().out


def test_verify_names_a_tampered_record(
    cli_database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _load_worked_example(cli_database)
    calculate_site_period(cli_database, store, "S1", "2026-01")
    assert main(["audit", "verify"]) == 0
    # Given someone edits P's record's number in place (1: the run's site inputs, 2: A)
    with cli_database.begin() as connection:
        connection.execute(text("SET LOCAL pcf.allow_audit_tamper = on"))
        connection.execute(
            text(
                "UPDATE audit_record SET record_json = replace(record_json, :old, :new) "
                "WHERE sequence = 3"
            ),
            {"old": '"total_kg_co2e":10.1', "new": '"total_kg_co2e":9.1'},
        )
    capsys.readouterr()
    # Then verify fails and names that record
    assert main(["audit", "verify"]) == 1
    assert "audit record 3: content does not match its hash: tampered" in capsys.readouterr().out


def test_two_calculations_at_once_extend_one_intact_chain(db: Engine) -> None:
    store = _load_worked_example(db)
    errors: list[BaseException] = []

    def calculate() -> None:
        try:
            calculate_site_period(db, store, "S1", "2026-01")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=calculate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    chain = list(read_audit_chain(db))
    # 4 runs x (site inputs + 2 footprints)
    assert [r.sequence for r in chain] == list(range(1, 13))
    assert verify_chain(chain) == []


def test_uploaded_production_count_replaces_the_counter_and_the_audit_says_so(db: Engine) -> None:
    # Given an upload of 400 P on M1 for January (the counter says 500)
    uploaded = (
        b"site_id,machine_id,item_id,period_start,period_end,quantity\n"
        b"S1,M1,P,2026-01-01,2026-02-01,400\n"
    )
    store = _load_worked_example(db, production_counts=uploaded)
    result = calculate_site_period(db, store, "S1", "2026-01")
    p = next(f for f in result.footprints if f.item_id == "P")
    # Then M1's 1000 kWh spread over 400 P: 2.5 kWh each, 1.19575 kg CO2e
    assert machine_breakdown(p)["M1"]["electricity"] == pytest.approx(2.5 * 0.4783, rel=REL)
    production = footprint_audit(db, result.footprint_ids["P"]).record["inputs"]["production"]
    assert dict(zip(production["item_id"], production["source"], strict=True)) == {
        "A": "telemetry:M2-P",
        "P": "upload:production_counts@1",
    }


def test_a_rejected_load_stores_nothing(db: Engine) -> None:
    before = current_versions(db)
    files = worked_example_files()
    files["bom"] = files["bom"].replace(b"P,STEEL,0.5", b"P,STEEL,-0.5")
    with pytest.raises(DatasetRejected) as rejected:
        load_static_files(db, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    assert any(
        e.file == "bom.csv" and e.column == "quantity" and "must be > 0" in e.reason
        for e in rejected.value.errors
    )
    assert current_versions(db) == before == {}


def test_cli_load_reports_file_row_column_and_exits_non_zero(
    cli_database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = worked_example_files()
    paths = []
    for kind, data in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(data.replace(b"P,A,2,", b"P,A,two,") if kind == "bom" else data)
        paths.append(str(path))
    assert main(["load", *paths]) == 1
    err = capsys.readouterr().err
    assert 'bom.csv row 2, column quantity: "two" is not a number' in err
    assert "nothing was loaded" in err
    assert current_versions(cli_database) == {}


def test_cli_loads_and_calculates(
    cli_database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = []
    for kind, data in worked_example_files().items():
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(data)
        paths.append(str(path))
    assert main(["load", *paths]) == 0
    PostgresTelemetryStore(cli_database).write_windows(worked_example_telemetry())
    assert main(["calculate", "--site", "S1", "--period", "2026-01"]) == 0
    out = capsys.readouterr().out
    assert "P\t10.120788 kg CO2e/piece" in out


def test_a_period_uses_the_versions_valid_in_it(db: Engine) -> None:
    # Given January's data, then a second factor file valid only from February
    store = _load_worked_example(db)
    february = worked_example_files()["emission_factors"].replace(b",1.9,", b",2.5,")
    assert february != worked_example_files()["emission_factors"]
    load_static_files(
        db,
        {"emission_factors": ("emission_factors.csv", february)},
        valid_from=date(2026, 2, 1),
    )
    # When January is calculated
    result = calculate_site_period(db, store, "S1", "2026-01")
    # Then it pins the first version and its steel factor of 1.9
    assert result.dataset_versions["emission_factors"].version == 1
    p = next(f for f in result.footprints if f.item_id == "P")
    assert p.total_kg_co2e == pytest.approx(10.1207884, rel=REL)


def test_energy_without_production_is_a_warning_not_lost(db: Engine) -> None:
    # Given February telemetry with electricity on M1 but no production anywhere
    store = _load_worked_example(db)
    january = worked_example_telemetry()[0]
    february = dataclasses.replace(
        next(w for w in worked_example_telemetry() if w.meter_id == "M1-E"),
        window_start=january.window_start.replace(month=2),
        window_end=january.window_end.replace(month=2),
        value=12.5,
    )
    store.write_windows([february])
    result = calculate_site_period(db, store, "S1", "2026-02")
    assert result.footprints == ()
    assert any("unallocated: M1-E 12.5 kWh" in w for w in result.warnings)
