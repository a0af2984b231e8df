"""Upload API fixtures: the real local server (HTTP on a free port) on the test database,
and a small client for it."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from sqlalchemy.engine import Engine

from pcf.api.auth import Role
from pcf.api.local_server import LocalServer
from pcf.usecases.uploads import UploadDependencies, UploadLimits, create_upload
from tests.moto_aws import mocked_aws

MAX_UPLOAD_BYTES = 16 * 1024

TECHNOLOGY_FACTORS = (
    b"technology,co2e_kg,per_unit,source,year\n"
    b"coal,820,MWh,IPCC AR5,2014\n"
    b"wind,11,MWh,IPCC AR5,2014\n"
)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(method: str, url: str, body: bytes | None = None, **headers: str) -> Reply:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers), error.read())


@dataclass(frozen=True)
class Client:
    server: LocalServer

    def token(self, role: Role, subject: str = "alice") -> str:
        return self.server.tokens.issue(subject, [role])

    def call(
        self, method: str, path: str, body: Any = None, *, role: Role | None = Role.SME
    ) -> Reply:
        headers = {"Content-Type": "application/json"}
        if role is not None:
            headers["Authorization"] = f"Bearer {self.token(role)}"
        data = None if body is None else json.dumps(body).encode()
        return http(method, self.server.url + path, data, **headers)

    def create_upload(
        self, kind: str, file_name: str, data: bytes, *, role: Role = Role.SME, **overrides: Any
    ) -> Reply:
        request = {
            "kind": kind,
            "file_name": file_name,
            "size_bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            **overrides,
        }
        return self.call("POST", "/uploads", request, role=role)

    def upload(self, kind: str, file_name: str, data: bytes) -> dict[str, Any]:
        """Create an upload, PUT the file to its URL; the upload as the API then shows it."""
        created = self.create_upload(kind, file_name, data)
        assert created.status == 201, created.body
        put = http("PUT", created.json()["upload_url"], data)
        assert put.status == 200, put.body
        upload_id = created.json()["upload"]["upload_id"]
        reply = self.call("GET", f"/uploads/{upload_id}")
        assert reply.status == 200, reply.body
        result: dict[str, Any] = reply.json()
        return result


@pytest.fixture
def objects_dir(tmp_path: Path) -> Path:
    return tmp_path / "objects"


@pytest.fixture
def server(db: Engine, objects_dir: Path) -> Iterator[LocalServer]:
    local = LocalServer(
        db,
        b"test secret",
        objects_dir=objects_dir,
        port=0,
        limits=UploadLimits(max_bytes=MAX_UPLOAD_BYTES),
    )
    with local.running():
        yield local


@pytest.fixture
def client(server: LocalServer) -> Client:
    return Client(server)


BUCKET = "pcf-data-lake"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with mocked_aws(monkeypatch, "eu-central-1"):
        client = boto3.client("s3", region_name="eu-central-1")
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
        )
        yield client


def upload_via_presigned_url(dependencies: UploadDependencies, data: bytes) -> str:
    created = create_upload(
        dependencies,
        kind="technology_factors",
        file_name="factors.csv",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_by="alice",
    )
    assert created.upload_url is not None
    assert requests.put(created.upload_url, data=data, timeout=10).status_code == 200
    return created.upload.object_key
