"""Publishing: close and reopen a site's period (ARCHITECTURE.md, "Publishing").

A period is open until closed. Closing freezes the period's latest calculation run: its
footprints become the published ones (PACT) and never change. While closed, a
recalculation is refused; after an explicit reopen, a recalculation writes new
footprints, each naming the published footprint of the same item as preceding. When the
period is closed again, the new footprints are published (Active) and the old ones
become Deprecated.

The rules live in the database (migration 0010: triggers on ``calculation_run`` and
``footprint``), so every way a run is written obeys them; this module is the use case
around them and turns the database's refusal into ``PeriodClosedError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg2
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from pcf.adapters.postgres.connection import transaction, where_equal
from pcf.core.model import MethodSettings
from pcf.core.telemetry import TelemetryStore
from pcf.usecases.calculate import SiteCalculation, calculate_site_period

# SQLSTATE the migration-0010 triggers raise for a closed or published period.
OBJECT_NOT_IN_PREREQUISITE_STATE = "55000"


class PublishingError(RuntimeError):
    """The period is not in the state this needs (HTTP 409)."""


class PeriodClosedError(PublishingError):
    """The period is closed: reopen it first."""


class PeriodNotClosedError(PublishingError):
    """The period is open: there is nothing to reopen."""


class NothingToPublishError(PublishingError):
    """The period has no succeeded calculation run to freeze."""


@dataclass(frozen=True)
class PeriodStatus:
    site_id: str
    period_label: str
    closed: bool
    published_run_id: int | None  # the run the latest closing froze, if any
    closed_at: datetime | None
    closed_by: str | None
    reopened_at: datetime | None
    reopened_by: str | None
    reopen_reason: str | None


@dataclass(frozen=True)
class PublishedFootprint:
    """A footprint that a closing published, with its PACT status."""

    footprint_id: int
    run_id: int
    item_id: str
    site_id: str
    period_label: str
    status: str  # "Active" or "Deprecated" (PACT)
    preceding_footprint_ids: tuple[int, ...]  # PACT precedingPfIds
    closed_at: datetime
    closed_by: str


def close_period(engine: Engine, site_id: str, period_label: str, closed_by: str) -> PeriodStatus:
    """Close the period: freeze its latest succeeded run and publish its footprints.
    ``PeriodClosedError`` when it is closed already, ``NothingToPublishError`` when it
    was never calculated."""
    with transaction(engine) as connection:
        _lock(connection, site_id, period_label)
        if _current_closing(connection, site_id, period_label) is not None:
            raise PeriodClosedError(f"site {site_id} period {period_label} is closed already")
        run_id = connection.execute(
            text(
                "SELECT run_id FROM latest_calculation_run "
                "WHERE site_id = :site_id AND period_label = :period_label"
            ),
            {"site_id": site_id, "period_label": period_label},
        ).scalar_one_or_none()
        if run_id is None:
            raise NothingToPublishError(
                f"site {site_id} period {period_label} has no calculation to publish; "
                "calculate it first"
            )
        connection.execute(
            text(
                "INSERT INTO period_closing (site_id, period_label, run_id, closed_by) "
                "VALUES (:site_id, :period_label, :run_id, :closed_by)"
            ),
            {
                "site_id": site_id,
                "period_label": period_label,
                "run_id": run_id,
                "closed_by": closed_by,
            },
        )
    return period_status(engine, site_id, period_label)


def reopen_period(
    engine: Engine, site_id: str, period_label: str, reopened_by: str, reason: str
) -> PeriodStatus:
    """Reopen a closed period so it may be recalculated; its published footprints stay
    Active until it is closed again. ``PeriodNotClosedError`` when it is open."""
    with transaction(engine) as connection:
        _lock(connection, site_id, period_label)
        reopened = connection.execute(
            text(
                "UPDATE period_closing SET reopened_at = now(), reopened_by = :by, "
                "reopen_reason = :reason WHERE site_id = :site_id "
                "AND period_label = :period_label AND reopened_at IS NULL"
            ),
            {"site_id": site_id, "period_label": period_label, "by": reopened_by, "reason": reason},
        ).rowcount
    if reopened != 1:
        raise PeriodNotClosedError(f"site {site_id} period {period_label} is not closed")
    return period_status(engine, site_id, period_label)


def period_status(engine: Engine, site_id: str, period_label: str) -> PeriodStatus:
    """The period's state, from its latest closing (open and never closed: no closing)."""
    with transaction(engine) as connection:
        row = (
            connection.execute(
                text(
                    "SELECT run_id, closed_at, closed_by, reopened_at, reopened_by, "
                    "reopen_reason FROM period_closing WHERE site_id = :site_id "
                    "AND period_label = :period_label ORDER BY id DESC LIMIT 1"
                ),
                {"site_id": site_id, "period_label": period_label},
            )
            .mappings()
            .one_or_none()
        )
    if row is None:
        return PeriodStatus(site_id, period_label, False, None, None, None, None, None, None)
    return PeriodStatus(
        site_id=site_id,
        period_label=period_label,
        closed=row["reopened_at"] is None,
        published_run_id=row["run_id"],
        closed_at=row["closed_at"],
        closed_by=row["closed_by"],
        reopened_at=row["reopened_at"],
        reopened_by=row["reopened_by"],
        reopen_reason=row["reopen_reason"],
    )


def published_footprints(
    bind: Engine | Connection, *, site_id: str | None = None, period_label: str | None = None
) -> list[PublishedFootprint]:
    """Every footprint a closing published, with its PACT status (Active: of the
    period's latest closing; Deprecated: superseded) and the ids of the footprints it
    supersedes (``precedingPfIds``); ordered by site, period, item, footprint id."""
    where, parameters = where_equal(site_id=site_id, period_label=period_label)
    with transaction(bind) as connection:
        rows = connection.execute(
            text(
                "SELECT footprint_id, run_id, item_id, site_id, period_label, status, "
                "preceding_footprint_ids, closed_at, closed_by FROM published_footprint "
                f'{where}ORDER BY site_id, period_label, item_id COLLATE "C", footprint_id'
            ),
            parameters,
        ).mappings()
        return [
            PublishedFootprint(
                **{**row, "preceding_footprint_ids": tuple(row["preceding_footprint_ids"])}
            )
            for row in rows
        ]


def recalculate_site_period(
    engine: Engine,
    store: TelemetryStore,
    site_id: str,
    period_label: str,
    settings: MethodSettings | None = None,
) -> SiteCalculation:
    """``calculate_site_period``, with a closed period's refusal as ``PeriodClosedError``
    (checked before the work, and again by the database when the run is written)."""
    if period_status(engine, site_id, period_label).closed:
        raise PeriodClosedError(
            f"site {site_id} period {period_label} is closed: reopen it before recalculating"
        )
    try:
        return calculate_site_period(engine, store, site_id, period_label, settings)
    except (DBAPIError, psycopg2.Error) as error:
        # footprints go through the driver's cursor: its errors arrive unwrapped
        driver_error = error.orig if isinstance(error, DBAPIError) else error
        if getattr(driver_error, "pgcode", None) == OBJECT_NOT_IN_PREREQUISITE_STATE:
            raise PeriodClosedError(str(driver_error).strip().splitlines()[0]) from error
        raise


def _lock(connection: Connection, site_id: str, period_label: str) -> None:
    connection.execute(
        text("SELECT pcf_lock_period(:site_id, :period_label)"),
        {"site_id": site_id, "period_label": period_label},
    )


def _current_closing(connection: Connection, site_id: str, period_label: str) -> int | None:
    closing: int | None = connection.execute(
        text(
            "SELECT id FROM period_closing WHERE site_id = :site_id "
            "AND period_label = :period_label AND reopened_at IS NULL"
        ),
        {"site_id": site_id, "period_label": period_label},
    ).scalar_one_or_none()
    return closing
