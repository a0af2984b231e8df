"""Calculate every footprint of a site and period, store results and audit records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine

from pcf.adapters.postgres.datasets import DatasetVersion, current_versions, read_dataset
from pcf.adapters.postgres.results import save_calculation
from pcf.core.audit import RunAuditRecords, footprint_summary
from pcf.core.engine import FootprintCalculation, ItemFootprint, SiteEnergyFactors
from pcf.core.model import MethodSettings
from pcf.core.period import ReferencePeriod, month_period
from pcf.core.telemetry import MeterPeriodTotal, TelemetryStore
from pcf.formats.definitions import FORMATS, STATIC_FORMATS
from pcf.formats.validation import typed_schema
from pcf.usecases.site_inputs import assemble_site_inputs, site_row

# The kinds a calculation cannot do without; the others may be absent (treated as empty).
REQUIRED_KINDS = ("items", "sites", "machines", "meters", "grid_mixes", "technology_factors")


@dataclass(frozen=True)
class SiteCalculation:
    run_id: int
    site_id: str
    period: ReferencePeriod
    footprints: tuple[ItemFootprint, ...]
    footprint_ids: dict[str, int]
    energy_factors: SiteEnergyFactors
    meter_totals: tuple[MeterPeriodTotal, ...]
    dataset_versions: dict[str, DatasetVersion]
    warnings: tuple[str, ...]


class MissingDatasetError(RuntimeError):
    """A calculation needs a kind of data that was never loaded."""


def calculate_site_period(
    engine: Engine,
    store: TelemetryStore,
    site_id: str,
    period_label: str,
    settings: MethodSettings | None = None,
) -> SiteCalculation:
    """Footprints of every item produced at ``site_id`` in the month ``period_label``
    (in the site's time zone), from the dataset versions valid on the period's first
    day (the latest upload among them) and the telemetry store; stored with one audit
    record each."""
    settings = settings or MethodSettings()
    # the site's time zone fixes the period; the period fixes which versions apply, and
    # the sites version in force then must name the same time zone
    latest = current_versions(engine)
    if "sites" not in latest:
        raise MissingDatasetError("load these data sets first: sites")
    time_zone = site_row(read_dataset(engine, latest["sites"].id), site_id)["time_zone"]
    for _ in range(2):
        period = month_period(period_label, time_zone)
        versions = current_versions(engine, as_of=period.first_day)
        if "sites" not in versions:
            break  # reported as missing below
        in_force = site_row(read_dataset(engine, versions["sites"].id), site_id)["time_zone"]
        if in_force == time_zone:
            break
        time_zone = in_force
    else:
        raise MissingDatasetError(
            f"site {site_id}: the sites versions in force disagree on its time zone for "
            f"{period_label}; load a sites version valid for the whole period"
        )
    missing = [kind for kind in REQUIRED_KINDS if kind not in versions]
    if missing:
        raise MissingDatasetError(
            f"no version valid on {period.first_day} of: {', '.join(missing)}"
        )
    tables = {
        f.kind: read_dataset(engine, versions[f.kind].id)
        if f.kind in versions
        else _empty_table(f.kind)
        for f in STATIC_FORMATS
    }
    labels = {kind: _version_label(versions.get(kind), kind) for kind in tables}
    totals = store.meter_period_totals(site_id, period.start, period.end)
    site_inputs = assemble_site_inputs(tables, labels, site_id, period, totals, settings)
    calculation = FootprintCalculation(site_inputs.inputs)
    footprints = tuple(calculation.footprint(item) for item in calculation.produced_item_ids)
    warnings = list(site_inputs.warnings)
    if calculation.allocation.unallocated_kwh:
        meters = ", ".join(
            f"{meter} {kwh:g} kWh" for meter, kwh in calculation.allocation.unallocated_kwh.items()
        )
        warnings.append(
            f"nothing was produced at the site, so this energy is unallocated: {meters}"
        )

    context: dict[str, Any] = {
        "site_id": site_id,
        "period": {
            "label": period.label,
            "time_zone": period.time_zone,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "dataset_versions": {
            kind: {"id": v.id, "version": v.version, "sha256": v.sha256, "file_name": v.file_name}
            for kind, v in sorted(versions.items())
        },
        "telemetry": [
            {
                "meter_id": t.meter_id,
                "quantity": t.quantity.value,
                "total": str(t.total),
                "unit": t.unit,
                "windows_received": t.windows_received,
                "seconds_covered": t.seconds_covered,
                "period_seconds": t.period_seconds,
                "windows_hash": t.windows_hash,
            }
            for t in site_inputs.meter_totals
        ],
        "warnings": warnings,
    }
    audit = RunAuditRecords(calculation, context)
    saved = save_calculation(
        engine,
        site_id=site_id,
        period_start=period.start,
        period_end=period.end,
        period_label=period.label,
        settings={
            "gwp_set": settings.gwp_set.value,
            "telemetry_gaps": settings.telemetry_gaps.value,
        },
        dataset_versions={kind: v.id for kind, v in sorted(versions.items())},
        footprints=[_footprint_row(site_id, period, f) for f in footprints],
        audit_documents={f.item_id: audit.footprint_record(f) for f in footprints},
        site_inputs_document=audit.site_inputs,
    )
    return SiteCalculation(
        run_id=saved.run_id,
        site_id=site_id,
        period=period,
        footprints=footprints,
        footprint_ids=saved.footprint_ids,
        energy_factors=calculation.energy_factors,
        meter_totals=site_inputs.meter_totals,
        dataset_versions=versions,
        warnings=tuple(warnings),
    )


def _footprint_row(site_id: str, period: ReferencePeriod, f: ItemFootprint) -> dict[str, Any]:
    summary = footprint_summary(f)
    return {
        "item_type": f.item_type,
        "units_produced": f.units_produced,
        "electricity_kwh": f.electricity_kwh,
        "natural_gas_kwh": f.natural_gas_kwh,
        "item_id": f.item_id,
        "site_id": site_id,
        "period_label": period.label,
        "declared_unit": f.declared_unit,
        "total_kg_co2e": f.total_kg_co2e,
        "by_category": f.by_category,
        "by_source": summary["by_source"],
        "electricity_location_kg_co2e": f.electricity_location_kg_co2e,
        "electricity_market_kg_co2e": f.electricity_market_kg_co2e,
        "primary_data_share": f.primary_data_share,
        "complete": f.complete,
        "notes": list(f.notes),
    }


def _version_label(version: DatasetVersion | None, kind: str) -> str:
    return f"{kind}@{version.version}" if version is not None else f"{kind}@none"


def _empty_table(kind: str) -> pa.Table:
    return typed_schema(FORMATS[kind]).empty_table()
