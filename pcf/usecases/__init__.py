"""Use cases: load, ingest, calculate, export; each calls the core through the adapters."""
