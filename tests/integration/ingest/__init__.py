"""Ingest: Kinesis handler, PostgreSQL store, SQS dead letters, raw archive."""
