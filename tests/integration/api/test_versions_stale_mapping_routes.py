"""Issue 4, points 3-5 through the real local HTTP server: validity on upload, versions
as of a day, the processed Parquet, stale footprints and the mapped factor set."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.object_store import read_parquet
from pcf.adapters.postgres.datasets import read_dataset
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.api.auth import Role
from pcf.sample.worked_example import worked_example_files, worked_example_telemetry
from pcf.usecases.calculate import calculate_site_period
from pcf.usecases.load_datasets import load_static_files
from tests.integration.api.conftest import TECHNOLOGY_FACTORS, Client, http

pytestmark = pytest.mark.integration

STEEL_2_5 = worked_example_files()["emission_factors"].replace(b",1.9,", b",2.5,")


@pytest.fixture
def january(db: Engine) -> dict[str, int]:
    """The worked example loaded and January calculated: footprint ids by item."""
    files = worked_example_files()
    load_static_files(db, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(db)
    store.write_windows(worked_example_telemetry())
    return calculate_site_period(db, store, "S1", "2026-01").footprint_ids


def test_an_accepted_upload_is_a_version_with_its_validity_and_its_parquet(
    client: Client, db: Engine, objects_dir: Path
) -> None:
    # Given one upload with a validity period and one without
    first = client.upload("technology_factors", "2026.csv", TECHNOLOGY_FACTORS)
    created = client.create_upload(
        "technology_factors",
        "h1.csv",
        TECHNOLOGY_FACTORS.replace(b"820", b"800"),
        valid_from="2026-01-01",
        valid_to="2026-06-30",
    )
    assert created.status == 201, created.body
    put = http("PUT", created.json()["upload_url"], TECHNOLOGY_FACTORS.replace(b"820", b"800"))
    assert put.status == 200
    # Then the first is valid from the upload's day, open-ended; the second as asked
    assert first["valid_from"] == date.today().isoformat() and first["valid_to"] is None
    second = client.call("GET", f"/uploads/{created.json()['upload']['upload_id']}").json()
    assert (second["valid_from"], second["valid_to"]) == ("2026-01-01", "2026-06-30")
    # and each accepted version's typed rows are in the processed tier as Parquet
    for version_id in (1, 2):
        key = f"processed/technology_factors/version={version_id}/technology_factors.parquet"
        assert read_parquet((objects_dir / key).read_bytes()).equals(read_dataset(db, version_id))
    # which the download route serves beside the CSV
    reply = client.call("GET", "/datasets/technology_factors/versions/2?format=parquet")
    assert reply.status == 200 and reply.json()["format"] == "parquet"
    table = read_parquet(http("GET", reply.json()["download_url"]).body)
    assert table.column("co2e_kg").to_pylist() == [800.0, 11.0]


def test_versions_as_of_a_day_and_earlier_versions_stay_readable(client: Client) -> None:
    client.upload("technology_factors", "v1.csv", TECHNOLOGY_FACTORS)  # from today
    for valid_from in ("2026-01-01", "2026-01-01"):
        created = client.create_upload(
            "technology_factors",
            "v.csv",
            TECHNOLOGY_FACTORS,
            valid_from=valid_from,
            content_base64=base64.b64encode(TECHNOLOGY_FACTORS).decode(),
        )
        assert created.json()["upload"]["status"] == "accepted", created.body

    def in_force(day: str) -> list[int]:
        reply = client.call(
            "GET", f"/datasets/technology_factors/versions?as_of={day}", role=Role.READER
        )
        assert reply.status == 200, reply.body
        return [v["version"] for v in reply.json()["versions"]]

    assert in_force("2025-12-31") == []
    assert in_force("2026-01-15") == [3]  # versions 2 and 3 tie: the later upload wins
    assert in_force(date.today().isoformat()) == [3]
    everything = client.call("GET", "/datasets/technology_factors/versions", role=Role.AUDITOR)
    assert [v["version"] for v in everything.json()["versions"]] == [1, 2, 3]
    assert client.call("GET", "/datasets/technology_factors/versions/1").status == 200
    assert client.call("GET", "/datasets/nope/versions").status == 404
    bad = client.call("GET", "/datasets/technology_factors/versions?as_of=2026-13-01")
    assert bad.status == 422


def test_a_validity_ending_before_it_starts_is_refused(client: Client) -> None:
    reply = client.create_upload(
        "technology_factors",
        "x.csv",
        TECHNOLOGY_FACTORS,
        valid_from="2026-02-01",
        valid_to="2026-01-31",
    )
    assert reply.status == 422
    assert "valid_to 2026-01-31 is before valid_from 2026-02-01" in reply.body.decode()


def test_the_route_and_calculate_agree_on_the_versions_of_a_period(
    client: Client, db: Engine, january: dict[str, int]
) -> None:
    # Given a version 2 of the emission factors, valid from today (after January)
    client.upload("emission_factors", "jan.csv", STEEL_2_5)  # from today: not January
    # When January is calculated again
    store = PostgresTelemetryStore(db)
    calculate_site_period(db, store, "S1", "2026-01")
    with db.connect() as connection:
        pinned = connection.execute(
            text("SELECT dataset_versions FROM calculation_run ORDER BY id DESC LIMIT 1")
        ).scalar_one()
        version_numbers = dict(
            connection.execute(text("SELECT id, version FROM dataset_version")).all()
        )
    # Then for every kind the route names the version the run pinned
    for kind, version_id in pinned.items():
        reply = client.call("GET", f"/datasets/{kind}/versions?as_of=2026-01-01")
        (version,) = reply.json()["versions"]
        assert version["version"] == version_numbers[version_id], kind
    assert version_numbers[pinned["emission_factors"]] == 1  # version 2 starts today


def test_an_upload_valid_in_an_open_period_lists_its_footprints_stale(
    client: Client, january: dict[str, int]
) -> None:
    # Given January calculated with factors version 1; nothing stale
    assert client.call("GET", "/footprints/stale", role=Role.READER).json() == {"stale": []}
    # When a version valid from today (after January) is uploaded: still nothing stale
    client.upload("emission_factors", "later.csv", STEEL_2_5)
    assert client.call("GET", "/footprints/stale").json() == {"stale": []}
    # When a version valid for January is uploaded
    created = client.create_upload(
        "emission_factors", "jan.csv", STEEL_2_5, valid_from="2026-01-01", valid_to="2026-01-31"
    )
    http("PUT", created.json()["upload_url"], STEEL_2_5)
    # Then January's footprints are stale, with what superseded what
    stale = client.call("GET", "/footprints/stale?site_id=S1&period=2026-01").json()["stale"]
    assert {s["footprint_id"]: s["item_id"] for s in stale} == {
        footprint_id: item for item, footprint_id in january.items()
    }
    assert {s["reason"] for s in stale} == {
        "emission_factors version 1 superseded by version 3 (in force on 2026-01-01)"
    }
    assert client.call("GET", "/footprints/stale?period=2026-02").json() == {"stale": []}


def test_mapped_factors_route_returns_and_curates_the_set(
    client: Client, january: dict[str, int], objects_dir: Path
) -> None:
    reply = client.call("GET", "/mapped-factors?as_of=2026-01-01", role=Role.READER)
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["gwp_set"] == "AR6" and body["unmapped"] == []
    assert {i["item_id"]: i["choice"] for i in body["items"]} == {
        "ALU": "database_factor",
        "C": "supplier_pcf",
        "STEEL": "database_factor",
    }
    assert body["electricity"][0]["location_kg_co2e_per_kwh"] == pytest.approx(0.4783)
    assert body["natural_gas"][0]["kg_co2e_per_kwh"] == pytest.approx(0.200571)
    for key in body["curated_keys"].values():
        assert (objects_dir / key).is_file()
    ar5 = client.call("GET", "/mapped-factors?as_of=2026-01-01&gwp=AR5", role=Role.AUDITOR)
    assert ar5.json()["natural_gas"][0]["kg_co2e_per_kwh"] == pytest.approx(0.200545)
    assert client.call("GET", "/mapped-factors", role=Role.PARTNER).status == 403
    assert client.call("GET", "/mapped-factors?gwp=AR4").status == 422


def test_mapped_factors_without_data_for_the_day_is_not_found(client: Client) -> None:
    reply = client.call("GET", "/mapped-factors?as_of=2020-01-01")
    assert reply.status == 404
    assert "no version valid on 2020-01-01" in reply.json()["message"]


def test_new_routes_need_a_token(client: Client) -> None:
    for path in ("/mapped-factors", "/footprints/stale", "/datasets/bom/versions"):
        assert client.call("GET", path, role=None).status == 401
