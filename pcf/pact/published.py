"""Which footprints partners may see, read from PostgreSQL.

``published_footprints`` is the one publication filter. Until periods can be closed it
publishes the footprints of the latest succeeded calculation run of each site and period;
when closing arrives, only this query changes (closed periods' frozen footprints).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, RowMapping

from pcf.adapters.postgres.connection import transaction
from pcf.pact.conversion import PublishedFootprint

_PUBLISHED = text(
    """
    WITH published_run AS (
        SELECT DISTINCT ON (site_id, period_label)
               id, period_start, period_end, finished_at, settings, dataset_versions
        FROM calculation_run
        WHERE status = 'succeeded'
        ORDER BY site_id, period_label, id DESC
    )
    SELECT f.id, f.item_id, f.site_id, f.declared_unit, f.total_kg_co2e, f.by_category,
           f.primary_data_share, f.complete, f.notes,
           r.period_start, r.period_end, r.finished_at, r.settings ->> 'gwp_set' AS gwp_set,
           i.name, i.mass_per_piece_kg, i.product_ids, i.cpc_code
    FROM published_run r
    JOIN footprint f ON f.run_id = r.id
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
    )
