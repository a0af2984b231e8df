"""Edge integration fixtures: the ingest suite's own (AWS through moto, a Kinesis stream,
the real PostgreSQL store, metrics cleared per test), shared rather than copied."""

from tests.integration.ingest.conftest import aws, fresh_metrics, store, stream

__all__ = ["aws", "fresh_metrics", "store", "stream"]
