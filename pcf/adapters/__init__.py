"""Adapters: the only code that talks to stores (PostgreSQL, object store, AWS)."""
