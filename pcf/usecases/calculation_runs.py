"""Calculations as the deployed calculator runs them: on a schedule for every site, or on
demand for one site and month; each run stored (PostgreSQL, by ``calculate``), exported
to the curated tier and summarised in the audit log (``export_results``).

Schedules (UTC; the calculation stack's EventBridge rules send ``{"schedule": ...}``):

- ``previous_month``: on the 2nd of each month, the month before. By then that month has
  ended in every time zone (UTC-12 to UTC+14) and a day of late telemetry (a plant that
  was offline, Stream Manager catching up) has arrived. Its result is the month's
  footprint until someone recalculates or closes the period.
- ``current_month``: every day, the month so far, so dashboards and the stale list
  follow the month as it goes. Each run supersedes the previous one of that period.

A site whose calculation fails (a missing data set, a closed period) is reported and the
others still run; the invocation then fails as a whole, so the function's error alarm
fires, naming the sites in the log.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from pcf.adapters.audit_log import AuditLog
from pcf.adapters.object_store import ObjectStore, S3BucketSettings
from pcf.adapters.postgres.datasets import current_versions, read_dataset
from pcf.core.model import MethodSettings
from pcf.core.telemetry import TelemetryStore
from pcf.formats.definitions import GwpSet
from pcf.usecases.calculate import MissingDatasetError, SiteCalculation, calculate_site_period
from pcf.usecases.export_results import ExportedRun, export_run, log_run
from pcf.usecases.mapping import publish_mapped_factors


class Schedule(StrEnum):
    PREVIOUS_MONTH = "previous_month"
    CURRENT_MONTH = "current_month"


class CalculationRequest(BaseModel):
    """An on-demand run: ``{"site_id": "S1", "period": "2026-01", "gwp_set": "AR6"}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    site_id: str = Field(min_length=1)
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    gwp_set: GwpSet = GwpSet.AR6


class ScheduledRun(BaseModel):
    """A scheduled run: ``{"schedule": "previous_month"}`` for every site."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    schedule: Schedule


class CalculatorSettings(S3BucketSettings):
    """The calculator's environment: ``DATABASE_URL``, ``OBJECT_STORE_BUCKETS`` (or
    ``OBJECT_STORE_BUCKET``), ``AUDIT_LOG_GROUP`` and optionally ``TELEMETRY_STORE``
    (as the ingest reads it)."""

    database_url: str = Field(alias="DATABASE_URL", min_length=1)
    audit_log_group: str = Field(alias="AUDIT_LOG_GROUP", min_length=1)
    telemetry_store: str = Field(alias="TELEMETRY_STORE", default="postgres")


@dataclass(frozen=True)
class CalculatorDependencies:
    engine: Engine
    telemetry: TelemetryStore
    store: ObjectStore
    audit_log: AuditLog


def build_calculator_dependencies(settings: CalculatorSettings) -> CalculatorDependencies:
    """PostgreSQL, the telemetry store, S3 and CloudWatch Logs (the Lambda's own role)."""
    import boto3

    from pcf.adapters.audit_log import CloudWatchAuditLog
    from pcf.adapters.object_store import S3ObjectStore
    from pcf.adapters.postgres.connection import create_engine
    from pcf.usecases.ingest import telemetry_store

    return CalculatorDependencies(
        engine=create_engine(settings.database_url),
        telemetry=telemetry_store(settings.telemetry_store, settings.database_url),
        store=S3ObjectStore(boto3.client("s3"), settings.buckets),
        audit_log=CloudWatchAuditLog(boto3.client("logs"), settings.audit_log_group),
    )


@dataclass(frozen=True)
class SiteOutcome:
    site_id: str
    period: str
    run_id: int | None = None
    footprints: int = 0
    keys: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "period": self.period,
            "run_id": self.run_id,
            "footprints": self.footprints,
            "keys": self.keys,
            "warnings": list(self.warnings),
            "error": self.error,
        }


class CalculationsFailed(RuntimeError):
    def __init__(self, outcomes: Sequence[SiteOutcome]) -> None:
        failed = [f"{o.site_id} {o.period}: {o.error}" for o in outcomes if o.error]
        super().__init__(f"{len(failed)} calculation(s) failed: " + "; ".join(failed))
        self.outcomes = tuple(outcomes)


def scheduled_period(schedule: Schedule, now: datetime) -> str:
    """The month a schedule calculates at ``now`` (``YYYY-MM``, from the UTC date)."""
    today = now.astimezone(UTC).date()
    if schedule is Schedule.CURRENT_MONTH:
        return f"{today:%Y-%m}"
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def site_ids(engine: Engine) -> list[str]:
    """Every site of the latest sites version."""
    versions = current_versions(engine)
    if "sites" not in versions:
        raise MissingDatasetError("load these data sets first: sites")
    sites = read_dataset(engine, versions["sites"].id).column("site_id").to_pylist()
    return sorted(str(site) for site in sites)


def calculate_and_export(
    dependencies: CalculatorDependencies, request: CalculationRequest
) -> SiteOutcome:
    """One site and month: calculate and store, export, log; a failure as the outcome."""
    settings = MethodSettings(gwp_set=request.gwp_set)
    try:
        result: SiteCalculation = calculate_site_period(
            dependencies.engine,
            dependencies.telemetry,
            request.site_id,
            request.period,
            settings,
        )
        exported: ExportedRun = export_run(dependencies.engine, dependencies.store, result.run_id)
        log_run(dependencies.audit_log, exported)
    except Exception as error:  # reported per site; the others still run
        return SiteOutcome(
            request.site_id, request.period, error=f"{type(error).__name__}: {error}"
        )
    return SiteOutcome(
        request.site_id,
        request.period,
        run_id=result.run_id,
        footprints=len(result.footprints),
        keys=exported.keys,
        warnings=result.warnings,
    )


def run_scheduled(
    dependencies: CalculatorDependencies,
    run: ScheduledRun,
    now: datetime,
    calculate: Callable[[CalculatorDependencies, CalculationRequest], SiteOutcome] = (
        calculate_and_export
    ),
) -> list[SiteOutcome]:
    """Every site for the schedule's month, then that month's mapped factor set (as of
    its first day) in the curated tier."""
    period = scheduled_period(run.schedule, now)
    outcomes = [
        calculate(dependencies, CalculationRequest(site_id=site, period=period))
        for site in site_ids(dependencies.engine)
    ]
    first_day = date.fromisoformat(f"{period}-01")
    with contextlib.suppress(MissingDatasetError):  # the calculations report what is missing
        publish_mapped_factors(dependencies.engine, dependencies.store, first_day)
    return outcomes


def handle_calculator_event(
    event: Mapping[str, Any], dependencies: CalculatorDependencies, now: datetime
) -> dict[str, Any]:
    """A direct invocation (``CalculationRequest``) or a scheduled one (``ScheduledRun``):
    the outcomes; ``CalculationsFailed`` when any site failed."""
    if "schedule" in event:
        outcomes = run_scheduled(dependencies, ScheduledRun.model_validate(event), now)
    else:
        outcomes = [calculate_and_export(dependencies, CalculationRequest.model_validate(event))]
    if any(outcome.error for outcome in outcomes):
        raise CalculationsFailed(outcomes)
    return {"calculations": [outcome.as_dict() for outcome in outcomes]}
