"""Which footprints partners may see, read from PostgreSQL.

``published_footprints`` is the one publication filter: the footprints a period's closing
froze (``published_footprint``, sql/migrations/0010), each Active when it is of the
period's latest closing and Deprecated when a later closing replaced it, with the ids of
the footprints it replaces. An open period publishes nothing new; a reopened one keeps its
published footprints Active until it is closed again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, RowMapping

from pcf.adapters.postgres.connection import transaction
from pcf.pact.conversion import (
    Lifecycle,
    PactCompany,
    PactStatus,
    PublishedFootprint,
    pact_ids,
)

_PUBLISHED = text(
    """
    SELECT f.id, f.item_id, f.site_id, f.declared_unit, f.total_kg_co2e, f.by_category,
           f.primary_data_share, f.complete, f.notes,
           r.period_start, r.period_end, r.finished_at, r.settings ->> 'gwp_set' AS gwp_set,
           i.name, i.mass_per_piece_kg, i.product_ids, i.cpc_code,
           p.status, p.preceding_footprint_ids
    FROM published_footprint p
    JOIN footprint f ON f.id = p.footprint_id
    JOIN calculation_run r ON r.id = p.run_id
    LEFT JOIN ds_items i
           ON i.dataset_version_id = (r.dataset_versions ->> 'items')::bigint
          AND i.item_id = f.item_id
    ORDER BY f.id
    """
)


def published_footprints(
    bind: Engine | Connection, site_countries: Mapping[str, str] | None = None
) -> list[PublishedFootprint]:
    """Every published footprint, oldest first (by footprint id), with its item's name,
    product ids, CPC code and mass from the items version its run used;
    ``site_countries`` gives a site's ISO 3166-1 country (sites do not record one)."""
    countries = site_countries or {}
    with transaction(bind) as connection:
        rows = connection.execute(_PUBLISHED).mappings().all()
    return [_published(row, countries) for row in rows]


def _published(row: RowMapping, countries: Mapping[str, str]) -> PublishedFootprint:
    share = row["primary_data_share"]
    return PublishedFootprint(
        footprint_id=int(row["id"]),
        item_id=row["item_id"],
        item_name=row["name"] or row["item_id"],
        site_id=row["site_id"],
        declared_unit=row["declared_unit"],
        reference_period_start=row["period_start"],
        reference_period_end=row["period_end"],
        created=row["finished_at"],
        total_kg_co2e=float(row["total_kg_co2e"]),
        by_category={key: float(value) for key, value in row["by_category"].items()},
        # the engine stores 0 when the total is zero; PACT then gets no share at all
        primary_data_share=float(share) if row["total_kg_co2e"] else None,
        gwp_sets=(row["gwp_set"] or "AR6",),
        complete=bool(row["complete"]),
        notes=tuple(row["notes"] or ()),
        product_ids=tuple((row["product_ids"] or "").split()),
        cpc_code=row["cpc_code"] or None,
        mass_per_piece_kg=row["mass_per_piece_kg"],
        geography_country=countries.get(row["site_id"]),
        status=PactStatus(row["status"]),
        preceding_footprint_ids=tuple(int(i) for i in row["preceding_footprint_ids"]),
    )


def lifecycle_of(company: PactCompany) -> Callable[[PublishedFootprint], Lifecycle]:
    """A published footprint's PACT status and ``precedingPfIds`` (their PACT ids)."""

    def lifecycle(footprint: PublishedFootprint) -> Lifecycle:
        return Lifecycle(
            status=footprint.status,
            preceding_pf_ids=pact_ids(company, footprint.preceding_footprint_ids),
        )

    return lifecycle
