"""The upload API through the real local HTTP server: upload, validate, load or reject,
read back; auth failures; size and checksum checks; Excel files."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.api.auth import Role
from tests.integration.api.conftest import MAX_UPLOAD_BYTES, TECHNOLOGY_FACTORS, Client, http

pytestmark = pytest.mark.integration


def dataset_versions(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM dataset_version")).scalar_one())


def test_a_valid_file_put_to_its_url_becomes_a_new_dataset_version(
    client: Client, db: Engine, objects_dir: Path
) -> None:
    # Given an SME's valid technology factors file
    # When it is uploaded through the pre-signed URL
    upload = client.upload("technology_factors", "my factors.csv", TECHNOLOGY_FACTORS)

    # Then it is accepted as version 1, listed, and downloadable as CSV
    assert upload["status"] == "accepted"
    assert upload["dataset_version"] == 1
    assert upload["errors"] == []
    assert upload["created_by"] == "alice"
    raw = objects_dir / f"raw/uploads/technology_factors/{upload['upload_id']}.csv"
    assert raw.read_bytes() == TECHNOLOGY_FACTORS
    datasets = client.call("GET", "/datasets", role=Role.READER).json()["datasets"]
    versions = {d["kind"]: [v["version"] for v in d["versions"]] for d in datasets}
    assert versions["technology_factors"] == [1]
    assert versions["bom"] == []
    download = client.call("GET", "/datasets/technology_factors/versions/1", role=Role.READER)
    assert download.status == 200
    assert download.json()["version"]["file_name"] == "my factors.csv"
    content = http("GET", download.json()["download_url"])
    rows = list(csv.DictReader(io.StringIO(content.body.decode())))
    assert [(r["technology"], r["co2e_kg"]) for r in rows] == [("coal", "820"), ("wind", "11")]


def test_a_bad_file_is_rejected_quarantined_with_its_errors_and_nothing_is_loaded(
    client: Client, db: Engine, objects_dir: Path
) -> None:
    # Given a file with a negative factor and a formula where the year belongs
    bad = (
        b"technology,co2e_kg,per_unit,source,year\n"
        b"coal,-820,MWh,IPCC AR5,2014\n"
        b"wind,11,MWh,IPCC AR5,=1+1\n"
    )

    # When it is uploaded
    upload = client.upload("technology_factors", "factors.csv", bad)

    # Then it is rejected with file, row, column and reason; the file is in quarantine,
    # byte for byte; nothing was loaded
    assert upload["status"] == "rejected"
    assert upload["dataset_version"] is None
    places = {(e["file"], e["row"], e["column"]) for e in upload["errors"]}
    assert places == {("factors.csv", 2, "co2e_kg"), ("factors.csv", 3, "year")}
    assert all(e["reason"] for e in upload["errors"])
    key = f"uploads/technology_factors/{upload['upload_id']}.csv"
    assert not (objects_dir / "raw" / key).exists()
    assert (objects_dir / "quarantine" / key).read_bytes() == bad
    assert dataset_versions(db) == 0
    # and the error report neutralises the formula but keeps the negative number
    report = client.call("GET", f"/uploads/{upload['upload_id']}/error-report")
    assert report.status == 200
    assert report.headers["Content-Type"].startswith("text/csv")
    values = {r["column"]: r["value"] for r in csv.DictReader(io.StringIO(report.body.decode()))}
    assert values == {"co2e_kg": "-820", "year": "'=1+1"}


def test_references_are_checked_against_the_current_versions_of_other_kinds(
    client: Client, db: Engine
) -> None:
    # Given technology factors loaded
    assert client.upload("technology_factors", "t.csv", TECHNOLOGY_FACTORS)["status"] == (
        "accepted"
    )
    grid = b"grid_region,technology,share,source,year\nDE,coal,0.5,x,2025\nDE,solar,0.5,x,2025\n"

    # When a grid mix names a technology that has no factor
    upload = client.upload("grid_mixes", "grid.csv", grid)

    # Then it is rejected at that cell
    assert upload["status"] == "rejected"
    [error] = upload["errors"]
    assert (error["row"], error["column"], error["value"]) == (3, "technology", "solar")
    assert dataset_versions(db) == 1


def test_every_route_refuses_a_request_without_a_valid_token(client: Client) -> None:
    # Given the routes the API publishes
    openapi = client.call("GET", "/openapi.json", role=Role.PARTNER)
    assert openapi.status == 200
    paths = openapi.json()["paths"]
    assert set(paths) >= {
        "/uploads",
        "/uploads/{upload_id}",
        "/uploads/{upload_id}/error-report",
        "/datasets",
        "/datasets/{kind}/versions/{version}",
        "/templates/{kind}",
        "/openapi.json",
    }
    for path, operations in paths.items():
        concrete = path.replace("{kind}", "bom").replace("{version}", "1")
        concrete = concrete.replace("{upload_id}", "0" * 32)
        for method, operation in operations.items():
            # Then each declares bearer auth with roles, and refuses no token and a
            # tampered one with 401 and a reason
            assert operation["security"][0]["bearerAuth"], (method, path)
            missing = client.call(method.upper(), concrete, role=None)
            assert missing.status == 401, (method, path, missing.body)
            assert "Authorization" in missing.json()["message"]
            token = client.token(Role.ADMIN)
            tampered = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
            reply = http(
                method.upper(),
                client.server.url + concrete,
                None,
                Authorization=f"Bearer {tampered}",
            )
            assert reply.status == 401, (method, path)
            assert "not valid" in reply.json()["message"]


def test_a_reader_may_read_data_sets_but_not_upload(client: Client) -> None:
    refused = client.create_upload(
        "technology_factors", "t.csv", TECHNOLOGY_FACTORS, role=Role.READER
    )
    assert refused.status == 403
    assert "admin, sme" in refused.json()["message"]
    assert client.call("GET", "/datasets", role=Role.READER).status == 200
    assert client.call("GET", "/datasets", role=Role.PARTNER).status == 403


def test_a_file_whose_checksum_differs_from_the_declared_one_is_rejected(
    client: Client, db: Engine
) -> None:
    created = client.create_upload(
        "technology_factors", "t.csv", TECHNOLOGY_FACTORS, sha256="0" * 64
    )
    assert http("PUT", created.json()["upload_url"], TECHNOLOGY_FACTORS).status == 200

    upload = client.call("GET", f"/uploads/{created.json()['upload']['upload_id']}").json()

    assert upload["status"] == "rejected"
    assert "SHA-256" in upload["errors"][0]["reason"]
    assert dataset_versions(db) == 0


def test_oversized_files_are_refused_when_declared_and_when_sent(client: Client) -> None:
    big = b"x" * (MAX_UPLOAD_BYTES + 1)
    declared = client.create_upload("technology_factors", "big.csv", big)
    assert declared.status == 413
    assert f"{MAX_UPLOAD_BYTES:,}" in declared.json()["message"]

    created = client.create_upload("technology_factors", "t.csv", TECHNOLOGY_FACTORS)
    sent = http("PUT", created.json()["upload_url"], big)
    assert sent.status == 413
    upload = client.call("GET", f"/uploads/{created.json()['upload']['upload_id']}").json()
    assert upload["status"] == "awaiting_file"


def test_a_file_of_another_size_than_declared_is_rejected(client: Client) -> None:
    created = client.create_upload("technology_factors", "t.csv", TECHNOLOGY_FACTORS)
    assert http("PUT", created.json()["upload_url"], TECHNOLOGY_FACTORS + b"\n").status == 200
    upload = client.call("GET", f"/uploads/{created.json()['upload']['upload_id']}").json()
    assert upload["status"] == "rejected"
    assert "declared" in upload["errors"][0]["reason"]


def test_a_presigned_url_cannot_be_altered_or_used_twice(client: Client) -> None:
    created = client.create_upload("technology_factors", "t.csv", TECHNOLOGY_FACTORS)
    url = created.json()["upload_url"]
    other_key = url.replace("/technology_factors/", "/bom/")
    assert http("PUT", other_key, TECHNOLOGY_FACTORS).status == 403
    assert http("GET", url).status == 403  # signed for PUT only
    assert http("PUT", url, TECHNOLOGY_FACTORS).status == 200
    assert http("PUT", url, TECHNOLOGY_FACTORS).status == 409  # raw files are immutable


def test_an_excel_file_is_validated_and_loaded_like_a_csv_file(client: Client) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["technology", "co2e_kg", "per_unit", "source", "year"])
    sheet.append(["coal", 820, "MWh", "IPCC AR5", 2014])
    sheet.append(["wind", 11.5, "MWh", "IPCC AR5", 2014])
    sheet.append(["gas", -1, "MWh", "IPCC AR5", 2014])
    output = io.BytesIO()
    workbook.save(output)

    rejected = client.upload("technology_factors", "factors.xlsx", output.getvalue())
    assert rejected["status"] == "rejected"
    assert [(e["row"], e["column"], e["value"]) for e in rejected["errors"]] == [
        (4, "co2e_kg", "-1")
    ]

    sheet.delete_rows(4)
    output = io.BytesIO()
    workbook.save(output)
    accepted = client.upload("technology_factors", "factors.xlsx", output.getvalue())
    assert accepted["status"] == "accepted", accepted["errors"]
    assert accepted["file_type"] == "xlsx"


def test_a_small_file_sent_inline_is_validated_at_once(client: Client) -> None:
    reply = client.create_upload(
        "technology_factors",
        "t.csv",
        TECHNOLOGY_FACTORS,
        content_base64=base64.b64encode(TECHNOLOGY_FACTORS).decode(),
    )
    assert reply.status == 201
    assert reply.json()["upload_url"] is None
    assert reply.json()["upload"]["status"] == "accepted"
    assert reply.json()["upload"]["sha256"] == hashlib.sha256(TECHNOLOGY_FACTORS).hexdigest()


def test_templates_come_as_csv_and_xlsx(client: Client) -> None:
    reply = client.call("GET", "/templates/bom", role=Role.READER)
    assert reply.status == 200
    header = reply.body.decode().splitlines()[0]
    assert header.replace('"', "") == "parent_item_id,child_item_id,quantity,unit,scrap_rate"
    xlsx = client.call("GET", "/templates/bom?format=xlsx", role=Role.READER)
    assert xlsx.status == 200
    assert xlsx.body[:2] == b"PK"
    assert client.call("GET", "/templates/nonsense", role=Role.READER).status == 404


def test_an_unknown_kind_or_file_type_is_refused_with_a_reason(client: Client) -> None:
    kind = client.create_upload("unicorns", "t.csv", TECHNOLOGY_FACTORS)
    assert kind.status == 422
    file_type = client.create_upload("bom", "bom.xls", TECHNOLOGY_FACTORS)
    assert file_type.status == 400
    assert ".xlsx" in file_type.json()["message"]
