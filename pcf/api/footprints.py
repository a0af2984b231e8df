"""The footprint routes: products and their footprints, breakdowns, hotspots, benchmarks,
the audit record, the what-if, and closing and reopening a period.

Registered on the API by ``pcf.api.routes.build_api``; each route names its roles as
every route there does (ARCHITECTURE.md, "Identity and roles"): footprints and
dashboards for reader, SME and auditor; the audit trail for auditor; publishing for
admin (admin is always admitted); partners never (their routes are PACT's).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from pcf.api.auth import Role
from pcf.api.models import ErrorOutput
from pcf.api.routes import _ERRORS, DATA_READERS, _described, _error, _principal, allow
from pcf.core.engine import EngineInputError
from pcf.usecases.footprints import (
    AuditTrail,
    BomQuantityChange,
    ElectricityContract,
    FootprintNotFound,
    SupplierFootprintChange,
    WhatIf,
    WhatIfError,
    footprint_audit,
    footprint_breakdown,
    footprints_over_periods,
    hotspots,
    latest_footprints,
    machine_benchmarks,
    site_benchmarks,
    what_if,
)
from pcf.usecases.publishing import (
    PeriodStatus,
    PublishingError,
    close_period,
    reopen_period,
)

FOOTPRINT_READERS = DATA_READERS  # admin, SME, reader, auditor
AUDIT_READERS = (Role.ADMIN, Role.AUDITOR)
PUBLISHERS = (Role.ADMIN,)

SAME_PROCESS = (
    "machines with the same `process` in the machines data set making the same items, "
    "in the same period, across all sites"
)

SiteId = Annotated[str, Path(max_length=64)]
PeriodLabel = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
FootprintId = Annotated[int, Path(ge=1)]
SiteFilter = Annotated[str | None, Query(max_length=64)]
PeriodFilter = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]

# -- models -----------------------------------------------------------------------------


class FootprintOutput(BaseModel):
    """One footprint, kg CO2e per declared unit, with its categories."""

    footprint_id: int
    run_id: int
    site_id: str
    period_label: str
    period_closed: bool = Field(description="Closed: published and frozen.")
    item_id: str
    item_type: str | None
    declared_unit: str
    units_produced: float | None
    total_kg_co2e: float
    materials_kg_co2e: float
    purchased_parts_kg_co2e: float
    electricity_kg_co2e: float
    natural_gas_kg_co2e: float
    electricity_location_kg_co2e: float | None
    electricity_market_kg_co2e: float | None
    electricity_kwh: float | None = Field(description="Embodied metered kWh per unit.")
    natural_gas_kwh: float | None = Field(description="Embodied metered kWh per unit.")
    primary_data_share: float | None
    complete: bool


class ProductsOutput(BaseModel):
    products: list[FootprintOutput]


class ProductFootprintsOutput(BaseModel):
    item_id: str
    footprints: list[FootprintOutput] = Field(description="One per site and period, oldest first.")


class SourceOutput(BaseModel):
    category: str
    source_kind: str = Field(description='"item" (material or purchased part) or "meter".')
    source_id: str
    machine_id: str | None = Field(description="The meter's machine; null for items, overhead.")
    amount: float = Field(description="Exploded quantity (declared unit) or kWh per unit.")
    amount_unit: str
    kg_co2e: float


class FootprintBreakdownOutput(BaseModel):
    footprint_id: int
    run_id: int
    site_id: str
    period_label: str
    period_closed: bool
    item_id: str
    declared_unit: str
    total_kg_co2e: float
    electricity_location_kg_co2e: float | None
    electricity_market_kg_co2e: float | None
    primary_data_share: float | None
    complete: bool
    by_category: dict[str, float] = Field(description="Adds up to the total.")
    by_source: list[SourceOutput] = Field(description="Adds up to the total.")
    notes: list[str]


class HotspotOutput(BaseModel):
    category: str
    source_kind: str
    source_id: str
    machine_id: str | None
    period_kg_co2e: float = Field(description="kg CO2e over the period, over all products.")
    share: float | None = Field(description="Of the products' total over the period.")
    products: list[str]


class HotspotsOutput(BaseModel):
    site_id: str | None
    period_label: str | None
    hotspots: list[HotspotOutput]


class MachineBenchmarkOutput(BaseModel):
    site_id: str
    period_label: str
    machine_id: str
    process: str | None
    items_made: str
    units_produced: float
    electricity_kwh: float
    natural_gas_kwh: float
    kwh: float
    kg_co2e: float
    kwh_per_unit: float | None
    kg_co2e_per_unit: float | None
    best_kwh_per_unit: float | None
    kwh_ratio_to_best: float | None
    best_kg_co2e_per_unit: float | None
    kg_co2e_ratio_to_best: float | None
    peers: int


class MachineBenchmarksOutput(BaseModel):
    same_process: str = SAME_PROCESS
    machines: list[MachineBenchmarkOutput]


class SiteBenchmarkOutput(BaseModel):
    site_id: str
    period_label: str
    item_id: str
    declared_unit: str
    units_produced: float | None
    kwh_per_unit: float | None
    energy_kg_co2e_per_unit: float
    kg_co2e_per_unit: float
    best_kwh_per_unit: float | None
    best_kg_co2e_per_unit: float
    kg_co2e_ratio_to_best: float | None
    peers: int
    site_kwh_per_unit_produced: float | None = Field(
        description="All the site's metered kWh over every unit it produced."
    )


class SiteBenchmarksOutput(BaseModel):
    sites: list[SiteBenchmarkOutput]


class AuditRecordOutput(BaseModel):
    footprint_id: int
    sequence: int
    previous_hash: str
    record_hash: str
    record: dict[str, Any] = Field(
        description="Inputs, method, steps, result (METHOD.md): the footprint's own record "
        "with its run's site-inputs record joined in."
    )
    site_inputs_sequence: int | None = Field(
        description="The run's site-inputs record in the chain (record version 2)."
    )
    site_inputs_record_hash: str | None
    reproduces: bool = Field(description="Recomputing from the record gives the result exactly.")
    differences_on_recompute: list[str]


class ContractChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kg_co2e_per_kwh: float = Field(ge=0)
    covered_share: float = Field(default=1.0, ge=0, le=1)
    residual_mix_kg_co2e_per_kwh: float | None = Field(default=None, ge=0)


class SupplierChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(min_length=1, max_length=64)
    kg_co2e_per_unit: float = Field(ge=0)
    primary_data_share: float | None = Field(default=None, ge=0, le=1)


class BomQuantityChangeInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parent_item_id: str = Field(min_length=1, max_length=64)
    child_item_id: str = Field(min_length=1, max_length=64)
    quantity: float = Field(ge=0, description="In the BOM line's unit.")


class WhatIfRequest(BaseModel):
    """Changes to the footprint's recorded inputs; an empty request recomputes it as is."""

    model_config = ConfigDict(extra="forbid")

    grid_kg_co2e_per_kwh: float | None = Field(
        default=None, ge=0, description="Replaces the grid mix: location-based electricity."
    )
    contract: ContractChange | None = Field(
        default=None, description="An electricity contract: market-based electricity."
    )
    supplier_footprints: list[SupplierChange] = Field(default_factory=list, max_length=100)
    bom_quantities: list[BomQuantityChangeInput] = Field(default_factory=list, max_length=100)


class FootprintNumbersOutput(BaseModel):
    total_kg_co2e: float
    by_category: dict[str, float]
    primary_data_share: float | None
    electricity_location_kg_co2e: float
    electricity_market_kg_co2e: float | None
    complete: bool


class WhatIfOutput(BaseModel):
    footprint_id: int
    item_id: str
    stored: FootprintNumbersOutput
    what_if: FootprintNumbersOutput = Field(description="Computed, not stored.")
    difference_kg_co2e: float = Field(description="what_if minus stored.")
    identical_to_stored: bool = Field(description="Bit for bit.")


class ReopenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class PeriodStatusOutput(BaseModel):
    site_id: str
    period_label: str
    closed: bool
    published_run_id: int | None
    closed_at: datetime | None
    closed_by: str | None
    reopened_at: datetime | None
    reopened_by: str | None
    reopen_reason: str | None


# -- routes -----------------------------------------------------------------------------


def _audit_json(trail: AuditTrail) -> str:
    """An ``AuditRecordOutput`` as JSON, the record spliced in as the text the use case
    wrote (at thousands of products it is most of a megabyte: validating and encoding
    it again would be most of the request's time)."""
    site = trail.site_inputs
    rest = AuditRecordOutput.model_construct(
        footprint_id=trail.footprint_id,
        sequence=trail.sequence,
        previous_hash=trail.previous_hash,
        record_hash=trail.record_hash,
        record={},
        site_inputs_sequence=site.sequence if site else None,
        site_inputs_record_hash=site.record_hash if site else None,
        reproduces=not trail.differences_on_recompute,
        differences_on_recompute=trail.differences_on_recompute,
    ).model_dump_json()
    return rest.replace('"record":{}', f'"record":{trail.record_json}', 1)


def add_footprint_routes(app: APIGatewayRestResolver, engine: Engine) -> None:
    """Register the footprint and publishing routes, and their error responses."""

    @app.exception_handler(FootprintNotFound)  # type: ignore[untyped-decorator]
    def footprint_not_found(error: FootprintNotFound) -> Response[Any]:
        return _error(404, f"not found: {error.args[0] if error.args else ''}")

    @app.exception_handler(WhatIfError)  # type: ignore[untyped-decorator]
    @app.exception_handler(EngineInputError)  # type: ignore[untyped-decorator]
    def what_if_refused(error: ValueError) -> Response[Any]:
        return _error(400, str(error))

    @app.exception_handler(PublishingError)  # type: ignore[untyped-decorator]
    def publishing_refused(error: PublishingError) -> Response[Any]:
        return _error(409, str(error))

    @app.get(
        "/products",
        summary="Products with their latest footprint at each site",
        responses=_ERRORS,
        security=allow(*FOOTPRINT_READERS),
    )
    def get_products(
        site_id: SiteFilter = None,
        item_type: Annotated[str | None, Query(max_length=32)] = "product",
        limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> ProductsOutput:
        found = latest_footprints(
            engine, site_id=site_id, item_type=item_type or None, limit=limit, offset=offset
        )
        return ProductsOutput(products=[FootprintOutput(**row) for row in found])

    @app.get(
        "/products/<item_id>/footprints",
        summary="A product's footprints over periods (the latest run of each)",
        responses=_ERRORS,
        security=allow(*FOOTPRINT_READERS),
    )
    def get_product_footprints(
        item_id: Annotated[str, Path(max_length=64)], site_id: SiteFilter = None
    ) -> ProductFootprintsOutput:
        found = footprints_over_periods(engine, item_id, site_id=site_id)
        return ProductFootprintsOutput(
            item_id=item_id, footprints=[FootprintOutput(**row) for row in found]
        )

    @app.get(
        "/footprints/<footprint_id>",
        summary="A footprint's breakdown by category and by source",
        responses={404: _described("No such footprint", ErrorOutput), **_ERRORS},
        security=allow(*FOOTPRINT_READERS),
    )
    def get_footprint(footprint_id: FootprintId) -> FootprintBreakdownOutput:
        found = footprint_breakdown(engine, footprint_id)
        return FootprintBreakdownOutput(
            **found.footprint,
            by_category=found.by_category,
            by_source=[SourceOutput(**source) for source in found.by_source],
            notes=found.notes,
        )

    @app.get(
        "/footprints/<footprint_id>/audit",
        summary="A footprint's audit record, its hash-chain links, and whether it reproduces",
        responses={
            200: _described("The audit trail", AuditRecordOutput),
            404: _described("No such footprint", ErrorOutput),
            **_ERRORS,
        },
        security=allow(*AUDIT_READERS),
    )
    def get_footprint_audit(footprint_id: FootprintId) -> Response[str]:
        trail = footprint_audit(engine, footprint_id)
        return Response(200, content_type="application/json", body=_audit_json(trail))

    @app.post(
        "/footprints/<footprint_id>/what-if",
        summary="The footprint recomputed from its audit record with other inputs "
        "(grid factor, contract, supplier footprint, BOM quantity); not stored",
        responses={
            400: _described("A change that does not apply", ErrorOutput),
            404: _described("No such footprint", ErrorOutput),
            **_ERRORS,
        },
        security=allow(*FOOTPRINT_READERS),
    )
    def post_what_if(footprint_id: FootprintId, request: WhatIfRequest) -> WhatIfOutput:
        result = what_if(engine, footprint_id, _what_if(request))
        return WhatIfOutput(
            footprint_id=result.footprint_id,
            item_id=result.item_id,
            stored=FootprintNumbersOutput(**_numbers(result.stored)),
            what_if=FootprintNumbersOutput(**_numbers(result.what_if)),
            difference_kg_co2e=result.what_if["total_kg_co2e"] - result.stored["total_kg_co2e"],
            identical_to_stored=result.identical_to_stored,
        )

    @app.get(
        "/hotspots",
        summary="The largest contributors across products over the period",
        responses=_ERRORS,
        security=allow(*FOOTPRINT_READERS),
    )
    def get_hotspots(
        site_id: SiteFilter = None,
        period: PeriodFilter = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> HotspotsOutput:
        found = hotspots(engine, site_id=site_id, period_label=period, limit=limit)
        return HotspotsOutput(
            site_id=site_id,
            period_label=period,
            hotspots=[HotspotOutput(**row) for row in found],
        )

    @app.get(
        "/benchmarks/machines",
        summary="Machines' kWh and kg CO2e per unit against the best of the same process",
        responses=_ERRORS,
        security=allow(*FOOTPRINT_READERS),
    )
    def get_machine_benchmarks(
        period: PeriodFilter = None,
        process: Annotated[str | None, Query(max_length=64)] = None,
    ) -> MachineBenchmarksOutput:
        found = machine_benchmarks(engine, period_label=period, process=process)
        return MachineBenchmarksOutput(machines=[MachineBenchmarkOutput(**row) for row in found])

    @app.get(
        "/benchmarks/sites",
        summary="Each item's kWh and kg CO2e per unit at each site against the best site",
        responses=_ERRORS,
        security=allow(*FOOTPRINT_READERS),
    )
    def get_site_benchmarks(
        period: PeriodFilter = None,
        item_id: Annotated[str | None, Query(max_length=64)] = None,
    ) -> SiteBenchmarksOutput:
        found = site_benchmarks(engine, period_label=period, item_id=item_id)
        return SiteBenchmarksOutput(sites=[SiteBenchmarkOutput(**row) for row in found])

    @app.post(
        "/periods/<site_id>/<period>/close",
        summary="Close a site's period: freeze and publish its latest footprints",
        responses={409: _described("Closed already, or never calculated", ErrorOutput), **_ERRORS},
        security=allow(*PUBLISHERS),
    )
    def post_close_period(site_id: SiteId, period: PeriodLabel) -> PeriodStatusOutput:
        status = close_period(engine, site_id, period, _principal(app).subject)
        return _status_output(status)

    @app.post(
        "/periods/<site_id>/<period>/reopen",
        summary="Reopen a closed period so it may be recalculated",
        responses={409: _described("Not closed", ErrorOutput), **_ERRORS},
        security=allow(*PUBLISHERS),
    )
    def post_reopen_period(
        site_id: SiteId, period: PeriodLabel, request: ReopenRequest
    ) -> PeriodStatusOutput:
        status = reopen_period(engine, site_id, period, _principal(app).subject, request.reason)
        return _status_output(status)


def _what_if(request: WhatIfRequest) -> WhatIf:
    contract = request.contract
    return WhatIf(
        grid_kg_co2e_per_kwh=request.grid_kg_co2e_per_kwh,
        contract=None
        if contract is None
        else ElectricityContract(
            contract.kg_co2e_per_kwh, contract.covered_share, contract.residual_mix_kg_co2e_per_kwh
        ),
        supplier_footprints=[
            SupplierFootprintChange(s.item_id, s.kg_co2e_per_unit, s.primary_data_share)
            for s in request.supplier_footprints
        ],
        bom_quantities=[
            BomQuantityChange(b.parent_item_id, b.child_item_id, b.quantity)
            for b in request.bom_quantities
        ],
    )


def _numbers(summary: dict[str, Any]) -> dict[str, Any]:
    return {name: summary[name] for name in FootprintNumbersOutput.model_fields}


def _status_output(status: PeriodStatus) -> PeriodStatusOutput:
    return PeriodStatusOutput(**dataclasses.asdict(status))
