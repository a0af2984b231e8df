"""Supplier footprints in: a PACT file uploaded, or pulled from a supplier's PACT API (the
real HTTPS PACT server, serving METHOD.md's worked example), becomes a version
of supplier_footprints, and a footprint calculated afterwards uses it and names it in
its audit record.

The buyer and the supplier each have a database of their own on the session's server."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.object_store import FolderObjectStore, UrlSigner
from pcf.adapters.postgres.connection import create_engine
from pcf.adapters.postgres.datasets import current_versions, read_dataset
from pcf.adapters.postgres.migrations import upgrade
from pcf.adapters.postgres.results import read_audit_record
from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.api.auth import Role
from pcf.api.local_server import LocalServer
from pcf.cli import main
from pcf.pact.supplier_import import SupplierImportError
from pcf.pact.supplier_pull import PullError, SupplierApi, pull_supplier_footprints
from pcf.pact.tls import TlsFiles
from pcf.sample.worked_example import worked_example_files, worked_example_telemetry
from pcf.usecases.calculate import calculate_site_period
from pcf.usecases.load_datasets import load_static_files
from pcf.usecases.publishing import close_period
from pcf.usecases.uploads import (
    Upload,
    UploadDependencies,
    UploadRefused,
    UploadStatus,
    create_upload,
)
from tests.integration.conftest import empty_tables
from tests.integration.pact.pact_client import (
    A_URN,
    CLIENT_ID,
    CLIENT_SECRET,
    P_URN,
    Pact,
    pact_settings,
)
from tests.unit.pact.pact_schemas import PACT_DIR

C_URN = "urn:pact:supplier.example:product-id:C-300"
# METHOD.md's worked example: P with C at 1.2 kg CO2e per piece, 50 % primary data
P_TOTAL = 10.1207884
P_PRIMARY_SHARE = 0.277724
A_TOTAL = 4.1070942


@contextmanager
def database_of_its_own(engine: Engine, role: str) -> Iterator[Engine]:
    """A new database on the session's server, migrated, dropped afterwards."""
    name = f"pcf_{role}_{uuid.uuid4().hex[:12]}"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    own = create_engine(engine.url.set(database=name).render_as_string(hide_password=False))
    upgrade(own)
    try:
        yield own
    finally:
        own.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def buyer_engine(engine: Engine) -> Iterator[Engine]:
    with database_of_its_own(engine, "buyer") as buyer:
        yield buyer


@pytest.fixture(scope="module")
def supplier(
    engine: Engine, tls: TlsFiles, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pact]:
    """The supplier: METHOD.md's worked example calculated and published (P 2 kg and A
    1.5 kg, so that v2.3 can carry them per kilogram) in a database of its own, behind
    the real PACT API over HTTPS. (The package's PACT server shares its database with
    tests that empty it.)"""
    with database_of_its_own(engine, "supplier") as supplier_db:
        files = worked_example_files()
        files["items"] = (
            files["items"]
            .replace(b"P,Product P,product,piece,,", b"P,Product P,product,piece,2,")
            .replace(
                b"A,Sub-assembly A,subassembly,piece,,", b"A,Sub-assembly A,subassembly,piece,1.5,"
            )
        )
        load_static_files(
            supplier_db, {kind: (f"{kind}.csv", data) for kind, data in files.items()}
        )
        telemetry = PostgresTelemetryStore(supplier_db)
        telemetry.write_windows(worked_example_telemetry())
        calculate_site_period(supplier_db, telemetry, "S1", "2026-01")
        close_period(supplier_db, "S1", "2026-01", closed_by="supplier")  # publishes
        server = LocalServer(
            supplier_db,
            b"supplier-secret",
            objects_dir=tmp_path_factory.mktemp("supplier-objects"),
            port=0,
            tls=tls,
            pact=pact_settings("https://127.0.0.1:9", tls),
        )
        with server.running():
            yield Pact(server, str(tls.certificate))


@pytest.fixture
def buyer(buyer_engine: Engine) -> Engine:
    """The worked example, with part C known by the supplier's URN and weighing 0.48 kg,
    and two purchased parts that are the PACT server's P and A (2 kg and 1.5 kg)."""
    empty_tables(buyer_engine)
    files = worked_example_files()
    files["items"] = buyer_items()
    load_static_files(buyer_engine, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    return buyer_engine


def buyer_items(*, map_p: bool = True) -> bytes:
    return (
        worked_example_files()["items"].replace(
            b"C,Purchased part C,purchased_part,piece,,,,",
            f"C,Purchased part C,purchased_part,piece,0.48,,{C_URN},".encode(),
        )
        + (
            f"BUY-P,P bought,purchased_part,piece,2,,{P_URN if map_p else ''},\n"
            f"BUY-A,A bought,purchased_part,piece,1.5,,{A_URN},\n"
        ).encode()
    )


@pytest.fixture
def store(tmp_path: Path) -> FolderObjectStore:
    return FolderObjectStore(tmp_path / "objects", UrlSigner(b"k" * 32), "http://unused")


def c_footprint_v3(**changes: Any) -> dict[str, Any]:
    """Part C from its supplier: 12.5 kg CO2e per 5 kg, 50 % primary data (v3)."""
    footprint: dict[str, Any] = json.loads((PACT_DIR / "v3" / "example-1.json").read_text())
    footprint.update(specVersion="3.0.3", productIds=[C_URN], companyName="Acme Castings")
    footprint["pcf"].update(
        declaredUnitAmount="5", pcfExcludingBiogenicUptake="12.5", primaryDataShare="50"
    )
    footprint.update(changes)
    return footprint


def upload_pact(
    store: FolderObjectStore, engine: Engine, document: Any, name: str = "c.json"
) -> Upload:
    """An inline upload of a PACT file, valid from January 2026 (the calculated month)."""
    data = json.dumps(document).encode()
    return create_upload(
        UploadDependencies(engine, store),
        kind="pact_footprints",
        file_name=name,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_by="sme",
        content=data,
        valid_from=date(2026, 1, 1),
    ).upload


def supplier_rows(engine: Engine) -> dict[str, dict[str, Any]]:
    version = current_versions(engine)["supplier_footprints"]
    return {row["item_id"]: row for row in read_dataset(engine, version.id).to_pylist()}


def test_an_uploaded_v3_footprint_is_used_and_named_in_the_audit(
    buyer: Engine, store: FolderObjectStore
) -> None:
    # Given C's supplier footprint as a PACT v3 file, uploaded for January on
    upload = upload_pact(store, buyer, c_footprint_v3())
    # Then it is accepted as supplier_footprints version 2: 12.5 / 5 x 0.48 = 1.2 per piece
    assert upload.status is UploadStatus.ACCEPTED, upload.errors
    assert upload.dataset_version == 2
    row = supplier_rows(buyer)["C"]
    assert row["co2e_kg"] == pytest.approx(1.2, rel=1e-15)
    assert (row["per_unit"], row["primary_data_share"], row["supplier"]) == (
        "piece",
        0.5,
        "Acme Castings",
    )
    assert row["source"] == f"upload {upload.id}"
    assert row["retrieved_at"] == upload.created_at
    assert store.size(f"raw/uploads/pact_footprints/{upload.id}.json") is not None

    # When January is calculated
    telemetry = PostgresTelemetryStore(buyer)
    telemetry.write_windows(worked_example_telemetry())
    run = calculate_site_period(buyer, telemetry, "S1", "2026-01")

    # Then P is METHOD.md's number, with C's supplier figure and share
    p = next(f for f in run.footprints if f.item_id == "P")
    assert p.total_kg_co2e == pytest.approx(P_TOTAL, rel=1e-12)
    assert p.primary_data_share == pytest.approx(P_PRIMARY_SHARE, abs=1e-6)
    # and P's audit record names where C's footprint came from
    record = json.loads(read_audit_record(buyer, run.footprint_ids["P"]).record_json)  # type: ignore[union-attr]
    suppliers = record["inputs"]["supplier_footprints"]
    assert suppliers["item_id"] == ["C"]
    assert suppliers["pcf_id"] == [c_footprint_v3()["id"]]
    [label] = suppliers["dataset_version"]
    assert label.startswith("supplier_footprints@")
    assert "PACT 3.0.3 Active, pcfExcludingBiogenicUptake" in label
    assert f"from upload {upload.id}, retrieved " in label


def test_a_v2_response_body_upload(buyer: Engine, store: FolderObjectStore) -> None:
    # Given a v2 GetFootprint response: 2.5 kg CO2e per kilogram, 5 kg in the product
    body = json.loads((PACT_DIR / "v2" / "get-footprint-response.json").read_text())
    body["data"]["productIds"] = [C_URN]
    body["data"]["pcf"].update(
        declaredUnit="kilogram", unitaryProductAmount="5", pCfExcludingBiogenic="2.5"
    )
    # When it is uploaded
    upload = upload_pact(store, buyer, body)
    # Then C is 2.5 x 0.48 = 1.2 per piece (v2 is per one declared unit), its v2 version
    assert upload.status is UploadStatus.ACCEPTED, upload.errors
    row = supplier_rows(buyer)["C"]
    assert row["co2e_kg"] == pytest.approx(1.2, rel=1e-15)
    assert (row["primary_data_share"], row["pact_version"], row["pact_figure"]) == (
        pytest.approx(0.129),
        1,
        "pCfExcludingBiogenic",
    )


def test_a_rejected_file_loads_nothing_and_says_why(
    buyer: Engine, store: FolderObjectStore
) -> None:
    # Given a list with a good footprint and a deprecated one of another part
    deprecated = c_footprint_v3(
        id="00000000-0000-4000-8000-000000000002",
        status="Deprecated",
        productIds=[P_URN],
    )
    before = current_versions(buyer)["supplier_footprints"]
    # When it is uploaded
    upload = upload_pact(store, buyer, {"data": [c_footprint_v3(), deprecated]}, "two.json")
    # Then it is rejected, naming the footprint, the field and why
    assert upload.status is UploadStatus.REJECTED
    assert [(e.file, e.row, e.column, e.value) for e in upload.errors] == [
        ("two.json", None, f"footprint 1 ({deprecated['id']}), status", "Deprecated")
    ]
    assert upload.errors[0].reason.startswith("the footprint is Deprecated")
    # nothing was loaded, the file is in quarantine
    assert current_versions(buyer)["supplier_footprints"] == before
    assert supplier_rows(buyer)["C"]["source"] is None
    assert store.size(f"quarantine/uploads/pact_footprints/{upload.id}.json") is not None

    # and a file that is not JSON, or a JSON file of another kind, is refused too
    assert upload_pact(store, buyer, "[", "broken.json").status is UploadStatus.REJECTED
    with pytest.raises(UploadRefused, match="a PACT footprints file is JSON"):
        create_upload(
            UploadDependencies(buyer, store),
            kind="pact_footprints",
            file_name="c.csv",
            size_bytes=1,
            sha256="0" * 64,
            created_by="sme",
        )
    with pytest.raises(UploadRefused, match="only CSV"):
        create_upload(
            UploadDependencies(buyer, store),
            kind="supplier_footprints",
            file_name="c.json",
            size_bytes=1,
            sha256="0" * 64,
            created_by="sme",
        )


def test_the_csv_upload_of_supplier_footprints_still_works(
    buyer: Engine, store: FolderObjectStore
) -> None:
    # Given a supplier_footprints.csv without any of the PACT columns
    data = (
        b"item_id,supplier,co2e_kg,per_unit,primary_data_share,period_start,period_end\n"
        b"C,Supplier of C,1.3,piece,0.4,2025-01-01,2025-12-31\n"
    )
    upload = create_upload(
        UploadDependencies(buyer, store),
        kind="supplier_footprints",
        file_name="supplier_footprints.csv",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_by="sme",
        content=data,
    ).upload
    # Then it is accepted, the PACT columns empty
    assert upload.status is UploadStatus.ACCEPTED, upload.errors
    row = supplier_rows(buyer)["C"]
    assert (row["co2e_kg"], row["source"], row["pact_figure"]) == (1.3, None, None)


def supplier_api(supplier: Pact, version: str = "3", secret: str = CLIENT_SECRET) -> SupplierApi:
    return SupplierApi(
        supplier.url, CLIENT_ID, secret, api_version=version, ca_file=Path(supplier.certificate)
    )


def test_a_pull_follows_the_pages_and_keeps_every_body(
    buyer: Engine, store: FolderObjectStore, supplier: Pact
) -> None:
    # Given the supplier's PACT API publishing P and A (the worked example), one a page
    api = supplier_api(supplier)
    # When we pull both products' footprints
    result = pull_supplier_footprints(buyer, store, api, product_ids=[P_URN, A_URN], page_size=1)
    # Then two pages were read, kept in the raw tier with a manifest
    assert len(result.raw_keys) == 3
    manifest = json.loads(store.get(result.raw_keys[-1]))
    urls = [page["url"] for page in manifest["pages"]]
    assert "offset=1" in urls[1] and urls[0].startswith(f"{supplier.url}/3/footprints?limit=1")
    assert CLIENT_SECRET not in json.dumps(manifest)
    # and the parts bought as P and A carry P's and A's footprints per piece
    assert sorted(result.item_ids) == ["BUY-A", "BUY-P"]
    rows = supplier_rows(buyer)
    assert rows["BUY-P"]["co2e_kg"] == pytest.approx(P_TOTAL, rel=1e-12)
    assert rows["BUY-P"]["primary_data_share"] == pytest.approx(P_PRIMARY_SHARE, abs=1e-6)
    assert rows["BUY-A"]["co2e_kg"] == pytest.approx(A_TOTAL, rel=1e-12)
    sources = {rows[item]["source"] for item in ("BUY-P", "BUY-A")}
    assert sources == set(urls)
    assert rows["BUY-P"]["supplier"] == "Sample Manufacturing"
    # C's earlier supplier footprint (from the CSV) stays
    assert rows["C"]["co2e_kg"] == 1.2 and rows["C"]["source"] is None


def test_a_pull_by_id_and_over_v2(buyer: Engine, store: FolderObjectStore, supplier: Pact) -> None:
    # Given P's footprint id at the supplier
    first = pull_supplier_footprints(buyer, store, supplier_api(supplier), product_ids=[P_URN])
    pcf_id = supplier_rows(buyer)["BUY-P"]["pcf_id"]
    # When it is pulled by id, and over v2 (per kilogram: P weighs 2 kg)
    by_id = pull_supplier_footprints(buyer, store, supplier_api(supplier), footprint_ids=[pcf_id])
    over_v2 = pull_supplier_footprints(
        buyer, store, supplier_api(supplier, "2"), product_ids=[P_URN]
    )
    # Then each is a new version with the same footprint per piece
    assert [r.version.version for r in (first, by_id, over_v2)] == [2, 3, 4]
    row = supplier_rows(buyer)["BUY-P"]
    assert row["co2e_kg"] == pytest.approx(P_TOTAL, rel=1e-12)
    assert (row["pact_spec_version"], row["pact_figure"]) == ("2.3.0", "pCfExcludingBiogenic")
    assert row["source"].startswith(f"{supplier.url}/2/footprints?")


def test_a_pull_that_fails_loads_nothing(
    buyer: Engine, store: FolderObjectStore, supplier: Pact
) -> None:
    before = current_versions(buyer)["supplier_footprints"]
    # a wrong secret: the token endpoint refuses, and the message does not repeat it
    with pytest.raises(PullError, match="HTTP 401 invalid_client") as refused:
        pull_supplier_footprints(buyer, store, supplier_api(supplier, secret="wrong-secret"))
    assert "wrong-secret" not in str(refused.value)
    # an untrusted certificate
    with pytest.raises(PullError, match="CERTIFICATE_VERIFY_FAILED"):
        pull_supplier_footprints(
            buyer, store, SupplierApi(supplier.url, CLIENT_ID, CLIENT_SECRET), product_ids=[P_URN]
        )
    # a footprint of a product nobody here buys: the bought P no longer lists P's id
    load_static_files(buyer, {"items": ("items.csv", buyer_items(map_p=False))})
    with pytest.raises(SupplierImportError, match="no material or purchased part") as unmapped:
        pull_supplier_footprints(buyer, store, supplier_api(supplier), product_ids=[P_URN, A_URN])
    assert [(p.field, p.value) for p in unmapped.value.problems] == [("productIds", P_URN)]
    assert current_versions(buyer)["supplier_footprints"] == before


def test_pcf_pact_pull_on_the_command_line(
    buyer: Engine,
    supplier: Pact,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the secret in an environment variable, and the buyer's database
    monkeypatch.setenv("SUPPLIER_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("DATABASE_URL", buyer.url.render_as_string(hide_password=False))
    arguments = [
        "pact",
        "pull",
        "--url",
        supplier.url,
        "--client-id",
        CLIENT_ID,
        "--client-secret-env",
        "SUPPLIER_SECRET",
        "--product-id",
        A_URN,
        "--ca-file",
        supplier.certificate,
        "--objects",
        str(tmp_path / "objects"),
    ]
    # When pcf pact pull runs
    assert main(arguments) == 0
    # Then A's footprint is the bought A's, and the secret was never printed
    out = capsys.readouterr()
    assert out.out.startswith("supplier_footprints version 2: BUY-A from ")
    assert CLIENT_SECRET not in out.out + out.err
    assert supplier_rows(buyer)["BUY-A"]["co2e_kg"] == pytest.approx(A_TOTAL, rel=1e-12)
    # a missing variable is said, not guessed
    monkeypatch.delenv("SUPPLIER_SECRET")
    assert main(arguments) == 2
    assert "SUPPLIER_SECRET is not set" in capsys.readouterr().err


def test_a_pact_file_through_the_upload_api(buyer: Engine, tmp_path: Path) -> None:
    # Given the upload API on the buyer's database
    server = LocalServer(buyer, b"upload-api-secret", objects_dir=tmp_path / "objects", port=0)
    data = json.dumps(c_footprint_v3()).encode()
    with server.running():
        headers = {
            "Authorization": f"Bearer {server.tokens.issue('sme-1', [Role.SME])}",
            "Content-Type": "application/json",
        }
        # When an SME asks for a pact_footprints upload and PUTs the JSON file
        created = requests.post(
            f"{server.url}/uploads",
            json={
                "kind": "pact_footprints",
                "file_name": "acme.json",
                "size_bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "valid_from": "2026-01-01",
            },
            headers=headers,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        upload = created.json()["upload"]
        assert upload["file_type"] == "json"
        put = requests.put(created.json()["upload_url"], data=data, timeout=30)
        assert put.status_code == 200
        status = requests.get(
            f"{server.url}/uploads/{upload['upload_id']}", headers=headers, timeout=30
        ).json()
        # and a JSON file for a table kind is refused
        refused = requests.post(
            f"{server.url}/uploads",
            json={
                "kind": "bom",
                "file_name": "bom.json",
                "size_bytes": 1,
                "sha256": "0" * 64,
            },
            headers=headers,
            timeout=30,
        )
    # Then the file is accepted as supplier_footprints version 2
    assert (status["status"], status["dataset_version"]) == ("accepted", 2)
    assert supplier_rows(buyer)["C"]["source"] == f"upload {upload['upload_id']}"
    assert refused.status_code == 400
