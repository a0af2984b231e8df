"""Ingest use case, raw archive and dead letters without AWS or a database."""
