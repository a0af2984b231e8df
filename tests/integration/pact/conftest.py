"""One PACT server for the package: METHOD.md's worked example calculated into
PostgreSQL, served over HTTPS (a self-signed certificate made for the tests, verified by
the clients), and partner A's own HTTPS server for the answers to its requests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.api.local_server import LocalServer
from pcf.pact.tls import TlsFiles, self_signed_certificate
from pcf.sample.worked_example import worked_example_files, worked_example_telemetry
from pcf.usecases.calculate import calculate_site_period
from pcf.usecases.load_datasets import load_static_files
from pcf.usecases.publishing import close_period
from tests.integration.conftest import empty_tables
from tests.integration.pact.pact_client import Pact, PartnerServer, pact_settings


@pytest.fixture(scope="package")
def worked_example(engine: Engine) -> Engine:
    """METHOD.md's worked example calculated once for the package; P gets a CPC code,
    and P and A masses (2 kg, 1.5 kg) so that v2.3, which has no "piece", can carry them
    per kilogram."""
    empty_tables(engine)
    files = worked_example_files()
    files["items"] = (
        files["items"]
        .replace(b"product-id:P,", b"product-id:P,43240")
        .replace(b"P,Product P,product,piece,,", b"P,Product P,product,piece,2,")
        .replace(
            b"A,Sub-assembly A,subassembly,piece,,", b"A,Sub-assembly A,subassembly,piece,1.5,"
        )
    )
    load_static_files(engine, {kind: (f"{kind}.csv", data) for kind, data in files.items()})
    store = PostgresTelemetryStore(engine)
    store.write_windows(worked_example_telemetry())
    calculate_site_period(engine, store, "S1", "2026-01")
    close_period(engine, "S1", "2026-01", closed_by="test")  # closing publishes
    return engine


@pytest.fixture(scope="package")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="package")
def partner(tls: TlsFiles) -> Iterator[PartnerServer]:
    with PartnerServer(tls).running() as server:
        yield server


@pytest.fixture(scope="package")
def pact(
    worked_example: Engine,
    tls: TlsFiles,
    partner: PartnerServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pact]:
    server = LocalServer(
        worked_example,
        b"pact-test-secret",
        objects_dir=tmp_path_factory.mktemp("objects"),
        port=0,
        tls=tls,
        pact=pact_settings(partner.url, tls),
    )
    with server.running():
        yield Pact(server, str(tls.certificate))


@pytest.fixture(scope="package")
def plain_http(
    worked_example: Engine, tls: TlsFiles, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalServer]:
    server = LocalServer(
        worked_example,
        b"pact-test-secret",
        objects_dir=tmp_path_factory.mktemp("objects"),
        port=0,
        pact=pact_settings("https://127.0.0.1:9", tls),
    )
    with server.running():
        yield server
