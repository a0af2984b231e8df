"""The footprint and publishing routes through the real local HTTP server: who may call
what, and the numbers of METHOD.md's worked example (S1) beside site S2 (conftest)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.api.auth import Role
from tests.integration.api.conftest import Client, http
from tests.integration.footprints.conftest import TwoSites

pytestmark = pytest.mark.integration

P_S1 = 10.1207884
A_S1 = 4.1070942


def routes(two_sites: TwoSites) -> list[tuple[str, str, object]]:
    p = two_sites.s1.footprint_ids["P"]
    return [
        ("GET", "/products", None),
        ("GET", "/products/P/footprints", None),
        ("GET", f"/footprints/{p}", None),
        ("POST", f"/footprints/{p}/what-if", {}),
        ("GET", "/hotspots?period=2026-01", None),
        ("GET", "/benchmarks/machines", None),
        ("GET", "/benchmarks/sites", None),
        ("GET", f"/footprints/{p}/audit", None),
        ("POST", "/periods/S1/2026-01/close", None),
        ("POST", "/periods/S1/2026-01/reopen", {"reason": "r"}),
    ]


def test_every_footprint_route_needs_a_token_and_refuses_partners(
    client: Client, two_sites: TwoSites
) -> None:
    for method, path, body in routes(two_sites):
        assert client.call(method, path, body, role=None).status == 401, path
        assert client.call(method, path, body, role=Role.PARTNER).status == 403, path


def test_roles_per_route(client: Client, two_sites: TwoSites) -> None:
    p = two_sites.s1.footprint_ids["P"]
    # Then reader, SME and auditor read footprints and dashboards
    for role in (Role.READER, Role.SME, Role.AUDITOR, Role.ADMIN):
        for method, path, body in routes(two_sites)[:7]:
            assert client.call(method, path, body, role=role).status == 200, (role, path)
    # the audit trail is the auditor's (and admin's)
    audit = f"/footprints/{p}/audit"
    assert client.call("GET", audit, role=Role.AUDITOR).status == 200
    assert client.call("GET", audit, role=Role.ADMIN).status == 200
    assert client.call("GET", audit, role=Role.READER).status == 403
    assert client.call("GET", audit, role=Role.SME).status == 403
    # closing and reopening are admin's alone
    for role in (Role.READER, Role.SME, Role.AUDITOR):
        assert client.call("POST", "/periods/S1/2026-01/close", role=role).status == 403
    # and the published OpenAPI says so
    spec = client.call("GET", "/openapi.json", role=Role.READER).json()
    assert spec["paths"]["/periods/{site_id}/{period}/close"]["post"]["security"] == [
        {"bearerAuth": ["admin"]}
    ]
    assert spec["paths"]["/footprints/{footprint_id}/audit"]["get"]["security"] == [
        {"bearerAuth": ["admin", "auditor"]}
    ]


def test_products_footprints_over_periods_and_breakdown(
    client: Client, two_sites: TwoSites
) -> None:
    products = client.call("GET", "/products", role=Role.READER).json()["products"]
    assert [(p["site_id"], p["item_id"]) for p in products] == [("S1", "P")]
    assert products[0]["total_kg_co2e"] == pytest.approx(P_S1, rel=1e-12)
    everything = client.call("GET", "/products?item_type=", role=Role.READER).json()
    assert {(p["site_id"], p["item_id"]) for p in everything["products"]} == {
        ("S1", "A"),
        ("S1", "P"),
        ("S2", "A"),
    }
    over = client.call("GET", "/products/A/footprints", role=Role.READER).json()
    assert [(f["period_label"], f["site_id"]) for f in over["footprints"]] == [
        ("2026-01", "S1"),
        ("2026-01", "S2"),
    ]
    detail = client.call(
        "GET", f"/footprints/{two_sites.s1.footprint_ids['P']}", role=Role.READER
    ).json()
    assert detail["by_category"] == pytest.approx(
        {
            "materials": 6.11,
            "purchased_parts": 2.4,
            "electricity": 1.53056,
            "natural_gas": 0.0802284,
        }
    )
    by_machine: dict[str, float] = {}
    for source in detail["by_source"]:
        if source["machine_id"]:
            by_machine[source["machine_id"]] = (
                by_machine.get(source["machine_id"], 0.0) + source["kg_co2e"]
            )
    assert by_machine == pytest.approx({"M1": 0.9566, "M2": 0.57396 + 0.0802284})
    assert sum(s["kg_co2e"] for s in detail["by_source"]) == pytest.approx(P_S1)
    missing = client.call("GET", "/footprints/999999", role=Role.READER)
    assert missing.status == 404


def test_hotspots_and_benchmarks(client: Client, two_sites: TwoSites) -> None:
    # hotspots of S1's products over January: 500 P; aluminium 5.16 kg per P is the largest
    found = client.call("GET", "/hotspots?site_id=S1&period=2026-01&limit=2", role=Role.READER)
    top = found.json()["hotspots"]
    assert [(h["source_id"], h["products"]) for h in top] == [("ALU", ["P"]), ("C", ["P"])]
    assert top[0]["period_kg_co2e"] == pytest.approx(5.16 * 500)
    assert top[0]["share"] == pytest.approx(5.16 / P_S1)
    machines = client.call("GET", "/benchmarks/machines?process=machining", role=Role.READER)
    rows = machines.json()["machines"]
    assert [(m["machine_id"], m["kwh_per_unit"], m["kwh_ratio_to_best"]) for m in rows] == [
        ("M2", pytest.approx(0.8), pytest.approx(1.0)),
        ("M3", pytest.approx(1.0), pytest.approx(1.25)),
    ]
    assert "process" in machines.json()["same_process"]
    sites = client.call("GET", "/benchmarks/sites?item_id=A", role=Role.READER).json()["sites"]
    assert [(s["site_id"], s["kg_co2e_per_unit"]) for s in sites] == [
        ("S1", pytest.approx(A_S1)),
        ("S2", pytest.approx(4.2583)),
    ]
    assert sites[0]["site_kwh_per_unit_produced"] == pytest.approx(1.2)


def test_the_audit_record_reproduces(client: Client, two_sites: TwoSites) -> None:
    p = two_sites.s1.footprint_ids["P"]
    audit = client.call("GET", f"/footprints/{p}/audit", role=Role.AUDITOR).json()
    assert audit["reproduces"] is True and audit["differences_on_recompute"] == []
    assert audit["record"]["item_id"] == "P" and audit["record"]["site_id"] == "S1"
    assert len(audit["record_hash"]) == 64


def test_the_unchanged_what_if_is_the_stored_footprint_bit_for_bit(
    client: Client, db: Engine, two_sites: TwoSites
) -> None:
    for item, footprint_id in {**two_sites.s1.footprint_ids}.items():
        reply = client.call("POST", f"/footprints/{footprint_id}/what-if", {}, role=Role.READER)
        result = reply.json()
        assert result["identical_to_stored"] is True, item
        assert result["what_if"] == result["stored"]
        assert result["difference_kg_co2e"] == 0.0
        with db.connect() as connection:
            stored = connection.execute(
                text("SELECT total_kg_co2e FROM footprint WHERE id = :id"), {"id": footprint_id}
            ).scalar_one()
        # JSON floats are written with repr: equal values are equal bits
        assert result["what_if"]["total_kg_co2e"] == stored


@pytest.mark.parametrize(
    ("change", "total", "electricity"),
    [
        # grid 0.3 kg/kWh over P's embodied 3.2 kWh
        ({"grid_kg_co2e_per_kwh": 0.3}, 6.11 + 2.4 + 0.96 + 0.0802284, 0.96),
        # a contract covering all electricity at 0.1 kg/kWh
        ({"contract": {"kg_co2e_per_kwh": 0.1}}, 6.11 + 2.4 + 0.32 + 0.0802284, 0.32),
        # supplier of C at 2.0 kg per piece: 2 A x 1 C
        ({"supplier_footprints": [{"item_id": "C", "kg_co2e_per_unit": 2.0}]}, P_S1 + 1.6, 1.53056),
        # 3 A per P instead of 2
        (
            {"bom_quantities": [{"parent_item_id": "P", "child_item_id": "A", "quantity": 3}]},
            P_S1 + A_S1,
            1.53056 + 0.6 * 0.4783,
        ),
    ],
)
def test_what_if_changes(
    client: Client,
    db: Engine,
    two_sites: TwoSites,
    change: dict[str, object],
    total: float,
    electricity: float,
) -> None:
    p = two_sites.s1.footprint_ids["P"]
    result = client.call("POST", f"/footprints/{p}/what-if", change, role=Role.READER).json()
    assert result["what_if"]["total_kg_co2e"] == pytest.approx(total, rel=1e-12)
    assert result["what_if"]["by_category"]["electricity"] == pytest.approx(electricity)
    assert result["stored"]["total_kg_co2e"] == pytest.approx(P_S1, rel=1e-12)
    assert result["identical_to_stored"] is False
    # and nothing was stored
    with db.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM footprint")).scalar_one() == 3


def test_what_if_refuses_changes_that_do_not_apply(client: Client, two_sites: TwoSites) -> None:
    p = two_sites.s1.footprint_ids["P"]
    line = {"bom_quantities": [{"parent_item_id": "P", "child_item_id": "C", "quantity": 1}]}
    reply = client.call("POST", f"/footprints/{p}/what-if", line, role=Role.READER)
    assert reply.status == 400 and "P -> C" in reply.json()["message"]
    reply = client.call("POST", f"/footprints/{p}/what-if", {"grid": 1}, role=Role.READER)
    assert reply.status == 422


def test_close_and_reopen_through_the_api(client: Client, two_sites: TwoSites) -> None:
    closed = client.call("POST", "/periods/S1/2026-01/close", role=Role.ADMIN)
    assert closed.status == 200, closed.body
    assert closed.json()["closed"] is True
    assert closed.json()["published_run_id"] == two_sites.s1.run_id
    assert client.call("POST", "/periods/S1/2026-01/close", role=Role.ADMIN).status == 409
    listed = client.call("GET", "/products", role=Role.READER).json()["products"]
    assert listed[0]["period_closed"] is True
    reopened = client.call(
        "POST", "/periods/S1/2026-01/reopen", {"reason": "supplier data"}, role=Role.ADMIN
    )
    assert reopened.status == 200 and reopened.json()["reopen_reason"] == "supplier data"
    assert reopened.json()["closed"] is False
    assert client.call("POST", "/periods/S1/2026-13/close", role=Role.ADMIN).status == 422
    assert http("GET", client.server.url + "/products").status == 401
