"""The moto fixtures of the Timestream unit tests, for the cross-store comparison."""

from tests.unit.timestream.conftest import aws, query_client, write_client

__all__ = ["aws", "query_client", "write_client"]
