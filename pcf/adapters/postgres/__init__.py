"""The PostgreSQL adapter: schema migrations, dataset versions, telemetry, results, audit.

Everything that talks to PostgreSQL lives here. Local runs and tests use the embedded
server from the ``pgserver`` wheel; ``DATABASE_URL`` points the same code at any other
PostgreSQL 14+ (RDS, Aurora, a developer's own server).
"""
