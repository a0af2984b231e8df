"""Fixtures for the Timestream store tests: moto clients with the raw table created."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.moto_aws import mocked_aws
from tests.unit.timestream.timestream_fakes import DATABASE, REGION, TABLE


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with mocked_aws(monkeypatch, REGION):
        yield


@pytest.fixture
def write_client(aws: None) -> Any:
    """A timestream-write client on moto, with the database and raw table created."""
    client = boto3.client("timestream-write", region_name=REGION)
    client.create_database(DatabaseName=DATABASE)
    client.create_table(DatabaseName=DATABASE, TableName=TABLE)
    return client


@pytest.fixture
def query_client(aws: None) -> Any:
    return boto3.client("timestream-query", region_name=REGION)
