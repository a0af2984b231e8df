"""Reading footprints: products and their latest footprint, footprints over periods,
breakdowns, hotspots, benchmarks, the audit record, and the ad-hoc what-if.

Everything but the what-if reads the curated views of migration 0010 (the ones
QuickSight reads), so the API and the dashboards show the same numbers. The what-if
rebuilds a footprint's inputs from its audit record, applies the overrides and runs the
engine; nothing is stored.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.connection import transaction
from pcf.adapters.postgres.results import read_audit_record, read_site_inputs
from pcf.core.audit import (
    ChainedRecord,
    SiteInputsMismatch,
    StoredSiteInputs,
    canonical_json,
    footprint_summary,
    joined_record,
    recompute_joined,
)
from pcf.core.engine import FootprintCalculation
from pcf.core.model import BomLines, FootprintInputs, GridMix, SupplierFootprints
from pcf.formats.definitions import ElectricityMethod


class FootprintNotFound(KeyError):
    """No footprint (or no audit record of it) with this id."""


class WhatIfError(ValueError):
    """An override that does not apply to the footprint (HTTP 400)."""


_FOOTPRINT_COLUMNS = (
    "footprint_id, run_id, site_id, period_label, period_closed, item_id, item_type, "
    "declared_unit, units_produced, total_kg_co2e, materials_kg_co2e, "
    "purchased_parts_kg_co2e, electricity_kg_co2e, natural_gas_kg_co2e, "
    "electricity_location_kg_co2e, electricity_market_kg_co2e, electricity_kwh, "
    "natural_gas_kwh, primary_data_share, complete"
)


def latest_footprints(
    engine: Engine,
    *,
    site_id: str | None = None,
    item_type: str | None = "product",
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Each item's footprint at each site in the latest period calculated (its latest
    run), from ``qs_footprint``, by site and item; ``item_type`` None: every item
    produced. ``limit`` and ``offset`` page through them (``limit`` None: all)."""
    return _rows(
        engine,
        'SELECT DISTINCT ON (site_id, item_id COLLATE "C") '
        f"{_FOOTPRINT_COLUMNS} FROM qs_footprint "
        "WHERE (CAST(:site_id AS text) IS NULL OR site_id = :site_id) "
        "AND (CAST(:item_type AS text) IS NULL OR item_type = :item_type) "
        'ORDER BY site_id, item_id COLLATE "C", period_label DESC '
        "LIMIT :limit OFFSET :offset",
        site_id=site_id,
        item_type=item_type,
        limit=limit,
        offset=offset,
    )


def footprints_over_periods(
    engine: Engine, item_id: str, *, site_id: str | None = None
) -> list[dict[str, Any]]:
    """An item's footprint in every period calculated (the latest run of each), oldest
    first."""
    return _rows(
        engine,
        f"SELECT {_FOOTPRINT_COLUMNS} FROM qs_footprint WHERE item_id = :item_id "
        "AND (CAST(:site_id AS text) IS NULL OR site_id = :site_id) "
        "ORDER BY period_label, site_id",
        item_id=item_id,
        site_id=site_id,
    )


@dataclass(frozen=True)
class FootprintBreakdown:
    footprint: dict[str, Any]
    by_category: dict[str, float]
    by_source: list[dict[str, Any]]
    notes: list[str]


def footprint_breakdown(engine: Engine, footprint_id: int) -> FootprintBreakdown:
    """One footprint (of any run) with its breakdown by category and by source (item,
    or meter and its machine), each adding up to the total."""
    with transaction(engine) as connection:
        row = (
            connection.execute(
                text(
                    "SELECT f.id AS footprint_id, f.run_id, f.site_id, f.period_label, "
                    "f.item_id, f.declared_unit, f.total_kg_co2e, f.by_category, f.by_source, "
                    "f.electricity_location_kg_co2e, f.electricity_market_kg_co2e, "
                    "f.primary_data_share, f.complete, f.notes, "
                    "EXISTS (SELECT 1 FROM period_closing c WHERE c.site_id = f.site_id "
                    "AND c.period_label = f.period_label AND c.reopened_at IS NULL) "
                    "AS period_closed FROM footprint f WHERE f.id = :id"
                ),
                {"id": footprint_id},
            )
            .mappings()
            .one_or_none()
        )
    if row is None:
        raise FootprintNotFound(f"footprint {footprint_id}")
    footprint = dict(row)
    by_category = footprint.pop("by_category")
    by_source = footprint.pop("by_source")
    notes = footprint.pop("notes")
    return FootprintBreakdown(footprint, by_category, by_source, notes)


def hotspots(
    engine: Engine,
    *,
    site_id: str | None = None,
    period_label: str | None = None,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """The largest contributors across products: each source's kg CO2e over the period
    (per declared unit x units produced, summed over the products it reaches), largest
    first, with its share of the products' total. Products only, so a sub-assembly's
    emissions are not counted twice."""
    return _rows(
        engine,
        "WITH product_source AS ("
        " SELECT * FROM qs_footprint_source WHERE item_type = 'product'"
        " AND (CAST(:site_id AS text) IS NULL OR site_id = :site_id)"
        " AND (CAST(:period AS text) IS NULL OR period_label = :period)) "
        "SELECT category, source_kind, source_id, machine_id, "
        "sum(period_kg_co2e) AS period_kg_co2e, "
        "sum(period_kg_co2e) / nullif((SELECT sum(period_kg_co2e) FROM product_source), 0) "
        "AS share, array_agg(DISTINCT item_id ORDER BY item_id) AS products "
        "FROM product_source GROUP BY category, source_kind, source_id, machine_id "
        "ORDER BY period_kg_co2e DESC, source_id LIMIT :limit",
        site_id=site_id,
        period=period_label,
        limit=limit,
    )


def machine_benchmarks(
    engine: Engine, *, period_label: str | None = None, process: str | None = None
) -> list[dict[str, Any]]:
    """Machines' kWh and kg CO2e per unit produced against the best machine of the same
    process (``qs_machine_energy``)."""
    return _rows(
        engine,
        "SELECT site_id, period_label, machine_id, process, items_made, units_produced, "
        "electricity_kwh, natural_gas_kwh, kwh, kg_co2e, kwh_per_unit, kg_co2e_per_unit, "
        "best_kwh_per_unit, kwh_ratio_to_best, best_kg_co2e_per_unit, "
        "kg_co2e_ratio_to_best, peers FROM qs_machine_energy "
        "WHERE (CAST(:period AS text) IS NULL OR period_label = :period) "
        "AND (CAST(:process AS text) IS NULL OR process = :process) "
        "ORDER BY period_label, process, items_made, kwh_per_unit, site_id, machine_id",
        period=period_label,
        process=process,
    )


def site_benchmarks(
    engine: Engine, *, period_label: str | None = None, item_id: str | None = None
) -> list[dict[str, Any]]:
    """Each item's embodied kWh and footprint per unit at each site against the best
    site for the item (``qs_site_item_energy``), beside the sites' overall intensity."""
    return _rows(
        engine,
        "SELECT i.site_id, i.period_label, i.item_id, i.declared_unit, i.units_produced, "
        "i.kwh_per_unit, i.energy_kg_co2e_per_unit, i.kg_co2e_per_unit, "
        "i.best_kwh_per_unit, i.best_kg_co2e_per_unit, i.kg_co2e_ratio_to_best, i.peers, "
        "s.kwh_per_unit AS site_kwh_per_unit_produced FROM qs_site_item_energy i "
        "JOIN qs_site_energy s ON s.site_id = i.site_id AND s.period_label = i.period_label "
        "WHERE (CAST(:period AS text) IS NULL OR i.period_label = :period) "
        "AND (CAST(:item_id AS text) IS NULL OR i.item_id = :item_id) "
        'ORDER BY i.period_label, i.item_id COLLATE "C", i.kg_co2e_per_unit, i.site_id',
        period=period_label,
        item_id=item_id,
    )


@dataclass(frozen=True)
class AuditTrail:
    footprint_id: int
    sequence: int
    previous_hash: str
    record_hash: str
    # the footprint's record with its run's site-inputs record joined in (0012): every
    # input down to meter totals and dataset versions; record_json is its JSON
    record: dict[str, Any]
    record_json: str
    differences_on_recompute: list[str]  # empty: the record reproduces the result
    recomputed: dict[str, Any] | None  # None: the site inputs are not the ones named
    site_inputs: ChainedRecord | None  # the shared record's place in the chain


@dataclass(frozen=True)
class _StoredAudit:
    chained: ChainedRecord
    record: dict[str, Any]  # as stored: version 2 names its site inputs by sha256
    site_chained: ChainedRecord | None
    site: StoredSiteInputs | None

    def joined(self) -> dict[str, Any]:
        """The record joined with its site inputs; ``SiteInputsMismatch`` when they are
        missing or not the ones it names."""
        if self.site is None:
            return joined_record(self.record, None)  # version 1: as it is
        return self.site.joined_record(self.record)


def footprint_audit(engine: Engine, footprint_id: int) -> AuditTrail:
    """A footprint's audit record joined with its run's site inputs, both records' places
    in the hash chain, and whether recomputing from them gives the recorded result bit
    for bit (``differences_on_recompute`` names ``site_inputs`` when the shared record
    is missing or no longer hashes to the sha256 the footprint's record names)."""
    stored = _stored_audit(engine, footprint_id)
    record: dict[str, Any] = stored.record
    recomputed: dict[str, Any] | None = None
    try:
        record = stored.joined()
        record_json = (
            canonical_json(record)
            if stored.site is None
            else stored.site.joined_record_json(stored.record)
        )
        recomputed, differences = recompute_joined(record)
    except SiteInputsMismatch:
        record_json = canonical_json(record)
        differences = ["site_inputs"]
    return AuditTrail(
        footprint_id,
        stored.chained.sequence,
        stored.chained.previous_hash,
        stored.chained.record_hash,
        record,
        record_json,
        differences,
        recomputed,
        stored.site_chained,
    )


def _stored_audit(engine: Engine, footprint_id: int) -> _StoredAudit:
    with transaction(engine) as connection:  # one connection for both records
        chained = read_audit_record(connection, footprint_id)
        if chained is None:
            raise FootprintNotFound(f"footprint {footprint_id}")
        record = json.loads(chained.record_json)
        site_chained = None
        if "site_inputs" in record:
            site_chained = read_site_inputs(connection, record["site_inputs"]["sha256"])
    site = None if site_chained is None else _site_inputs(site_chained.record_json)
    return _StoredAudit(chained, record, site_chained, site)


@lru_cache(maxsize=4)
def _site_inputs(record_json: str) -> StoredSiteInputs:
    """A site-inputs record parsed once: every footprint of a run names the same one,
    and at thousands of products it is the large part. Keyed by the stored text itself,
    so a changed record is parsed (and its hash checked) again."""
    return StoredSiteInputs(record_json)


# -- what-if ------------------------------------------------------------------------


@dataclass(frozen=True)
class ElectricityContract:
    kg_co2e_per_kwh: float
    covered_share: float = 1.0
    residual_mix_kg_co2e_per_kwh: float | None = None


@dataclass(frozen=True)
class SupplierFootprintChange:
    item_id: str
    kg_co2e_per_unit: float  # per the item's existing supplier unit, else its declared unit
    primary_data_share: float | None = None  # None: the existing one, else 0


@dataclass(frozen=True)
class BomQuantityChange:
    parent_item_id: str
    child_item_id: str
    quantity: float  # in the BOM line's unit


@dataclass(frozen=True)
class WhatIf:
    """Changes to a footprint's recorded inputs; none: the stored footprint again."""

    grid_kg_co2e_per_kwh: float | None = None  # replaces the grid mix (location-based)
    contract: ElectricityContract | None = None  # market-based electricity from it
    supplier_footprints: Sequence[SupplierFootprintChange] = field(default=())
    bom_quantities: Sequence[BomQuantityChange] = field(default=())


@dataclass(frozen=True)
class WhatIfResult:
    footprint_id: int
    item_id: str
    stored: dict[str, Any]  # the recorded result (footprint_summary)
    what_if: dict[str, Any]
    identical_to_stored: bool  # bit for bit, through the canonical JSON


def what_if(engine: Engine, footprint_id: int, changes: WhatIf) -> WhatIfResult:
    """The footprint recomputed from its audit record with ``changes`` applied, beside
    the stored one. Nothing is stored."""
    record = _stored_audit(engine, footprint_id).joined()
    inputs = apply_what_if(FootprintInputs.from_record(record["inputs"]), changes)
    recomputed = footprint_summary(FootprintCalculation(inputs).footprint(record["item_id"]))
    stored = record["result"]
    return WhatIfResult(
        footprint_id=footprint_id,
        item_id=record["item_id"],
        stored=stored,
        what_if=recomputed,
        identical_to_stored=canonical_json(recomputed) == canonical_json(stored),
    )


def apply_what_if(inputs: FootprintInputs, changes: WhatIf) -> FootprintInputs:
    """The inputs with the changes applied (no I/O); ``WhatIfError`` for a change that
    names what the inputs do not hold."""
    replaced: dict[str, Any] = {}
    site = inputs.site
    if changes.grid_kg_co2e_per_kwh is not None:
        replaced["grid_mix"] = GridMix(
            technology=["what-if grid"],
            share=[1.0],
            co2e_kg=[changes.grid_kg_co2e_per_kwh],
            per_unit=["kWh"],
        )
    if changes.contract is not None:
        site = dataclasses.replace(
            site,
            electricity_method=ElectricityMethod.MARKET,
            contract_factor_kg_per_kwh=changes.contract.kg_co2e_per_kwh,
            contract_covered_share=changes.contract.covered_share,
            residual_mix_factor_kg_per_kwh=changes.contract.residual_mix_kg_co2e_per_kwh,
        )
    if changes.supplier_footprints:
        replaced["supplier_footprints"] = _changed_suppliers(inputs, changes.supplier_footprints)
    if changes.bom_quantities:
        replaced["bom"] = _changed_bom(inputs.bom, changes.bom_quantities)
    return dataclasses.replace(inputs, site=site, **replaced)


def _changed_suppliers(
    inputs: FootprintInputs, changes: Sequence[SupplierFootprintChange]
) -> SupplierFootprints:
    columns = inputs.supplier_footprints.to_columns()
    items = inputs.items.to_columns()
    declared = dict(zip(items["item_id"], items["declared_unit"], strict=True))
    for change in changes:
        if change.item_id not in declared:
            raise WhatIfError(f"item {change.item_id} is not in this footprint's bill of materials")
        rows = [i for i, item in enumerate(columns["item_id"]) if item == change.item_id]
        row = {name: values[rows[0]] for name, values in columns.items()} if rows else {}
        for i in reversed(rows):
            for values in columns.values():
                del values[i]
        share = change.primary_data_share
        new_row = {
            "item_id": change.item_id,
            "supplier": "what-if",
            "co2e_kg": change.kg_co2e_per_unit,
            "per_unit": row.get("per_unit") or declared[change.item_id],
            "primary_data_share": share
            if share is not None
            else row.get("primary_data_share", 0.0),
            "pcf_id": None,
            "dataset_version": "what-if",
        }
        for name, values in columns.items():
            values.append(new_row[name])
    return SupplierFootprints.from_columns(columns)


def _changed_bom(bom: BomLines, changes: Sequence[BomQuantityChange]) -> BomLines:
    columns = bom.to_columns()
    for change in changes:
        rows = [
            i
            for i, (parent, child) in enumerate(
                zip(columns["parent_item_id"], columns["child_item_id"], strict=True)
            )
            if (parent, child) == (change.parent_item_id, change.child_item_id)
        ]
        if not rows:
            raise WhatIfError(
                f"no BOM line {change.parent_item_id} -> {change.child_item_id} "
                "in this footprint's bill of materials"
            )
        for i in rows:
            columns["quantity"][i] = change.quantity
    return BomLines.from_columns(columns)


def _rows(engine: Engine, sql: str, **parameters: Any) -> list[dict[str, Any]]:
    with transaction(engine) as connection:
        return [dict(row) for row in connection.execute(text(sql), parameters).mappings()]
