"""The Timestream for LiveAnalytics adapter: the telemetry store on a raw table of
multi-measure records, and the scheduled query that rolls it up to hourly.

Timestream for LiveAnalytics has been closed to new AWS customers since 2025-06-20: a new
account uses the PostgreSQL store (``pcf.adapters.postgres.telemetry_store``), which
implements the same ``pcf.core.telemetry.TelemetryStore`` interface.
"""

from pcf.adapters.timestream.rollup import hourly_rollup_query, hourly_rollup_scheduled_query
from pcf.adapters.timestream.store import (
    RejectedWindow,
    TimestreamTelemetryStore,
    TimestreamWriteError,
)

__all__ = [
    "RejectedWindow",
    "TimestreamTelemetryStore",
    "TimestreamWriteError",
    "hourly_rollup_query",
    "hourly_rollup_scheduled_query",
]
