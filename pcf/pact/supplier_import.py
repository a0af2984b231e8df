"""Supplier footprints in: PACT ProductFootprints (v3.x or v2.x) as supplier_footprints rows.

Pure: a JSON document and the current items in, typed ``supplier_footprints`` rows out
(or every problem found, and nothing). The upload path (``pcf.usecases.uploads``) and the
pull from a supplier's PACT API (``pcf.pact.supplier_pull``) both come through here.

For each footprint (``docs/decisions/0013-supplier-pact-footprints.md``):

- the version is read from ``specVersion`` (3.x or 2.x) and the footprint is checked
  against that version's ProductFootprint schema (``pcf.pact.footprint_schemas``);
- a ``Deprecated`` footprint is refused;
- the item is the material or purchased part whose ``product_ids`` (items.csv) holds one
  of the footprint's ``productIds`` (URNs compared case-insensitively);
- the figure taken is a named setting (``SupplierFigure``), by default the footprint
  excluding biogenic uptake, like the footprints we compute (no biogenic accounting);
- v3 states it for ``declaredUnitAmount`` of ``declaredUnitOfMeasurement``, so it is
  divided by the amount; v2 states it per one ``declaredUnit`` (``unitaryProductAmount``
  is the size of the product, not the basis of the figure). The result is converted to
  kg CO2e per the item's declared unit through ``pcf.core.units`` (pieces and mass
  through the item's ``mass_per_piece_kg``);
- ``primaryDataShare`` / 100 is the primary data share; a footprint without one (optional
  in v3, and v2 may give ``dqi`` instead) counts as 0: all secondary, never overstated;
- the reference period's end is exclusive in PACT and inclusive in our rows;
- the source (upload id or URL, when it was retrieved), the spec version, status, v2
  ``version`` and the PACT field taken are written into the row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pcf.core.units import UNIT_SYMBOLS, quantity_factors
from pcf.formats.definitions import SUPPLIER_FOOTPRINTS, ItemType
from pcf.formats.validation import typed_schema
from pcf.pact.conversion import PactConversionError, declared_unit
from pcf.pact.footprint_schemas import COMPONENT_SCHEMAS
from pcf.pact.json_schema import schema_errors


class SupplierFigure(StrEnum):
    """Which of a PACT footprint's totals becomes the supplier footprint (a method
    setting, recorded per row in ``pact_figure``)."""

    EXCLUDING_BIOGENIC_UPTAKE = "excluding_biogenic_uptake"
    INCLUDING_BIOGENIC_UPTAKE = "including_biogenic_uptake"


# Our footprints have no biogenic accounting (decision 0010): take the same total.
DEFAULT_SUPPLIER_FIGURE = SupplierFigure.EXCLUDING_BIOGENIC_UPTAKE

# (major spec version, figure) -> the PACT CarbonFootprint field holding it
_FIGURE_FIELDS: dict[tuple[str, SupplierFigure], str] = {
    ("3", SupplierFigure.EXCLUDING_BIOGENIC_UPTAKE): "pcfExcludingBiogenicUptake",
    ("3", SupplierFigure.INCLUDING_BIOGENIC_UPTAKE): "pcfIncludingBiogenicUptake",
    ("2", SupplierFigure.EXCLUDING_BIOGENIC_UPTAKE): "pCfExcludingBiogenic",
    ("2", SupplierFigure.INCLUDING_BIOGENIC_UPTAKE): "pCfIncludingBiogenic",
}
_PURCHASED = (ItemType.MATERIAL.value, ItemType.PURCHASED_PART.value)


@dataclass(frozen=True)
class FootprintSource:
    """Where a footprint came from: ``upload <id>`` or the URL it was fetched from."""

    location: str
    retrieved_at: datetime


@dataclass(frozen=True)
class ImportProblem:
    """Why one footprint (``index`` in the document, from 0) cannot be imported."""

    index: int | None  # None: the document as a whole
    pcf_id: str | None
    field: str  # JSON path inside the footprint, "" for the footprint itself
    value: str | None
    reason: str

    @property
    def where(self) -> str:
        if self.index is None:
            return "document"
        footprint = f"footprint {self.index}" + (f" ({self.pcf_id})" if self.pcf_id else "")
        return f"{footprint}, {self.field}" if self.field else footprint

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class SupplierImportError(ValueError):
    """The document cannot be imported; ``problems`` says why, footprint by footprint.
    Nothing of it is loaded."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class ImportedFootprints:
    table: pa.Table  # supplier_footprints rows (``typed_schema``), one per footprint
    notes: tuple[str, ...]  # what a reader should know (a share taken as 0, ...)


def footprints_in(document: Any) -> list[Any]:
    """The footprints of a PACT document: one ProductFootprint, a list of them, or an
    API response body ``{"data": [...]}`` (list) or ``{"data": {...}}`` (get by id)."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and "data" in document and "pcf" not in document:
        data = document["data"]
        return data if isinstance(data, list) else [data]
    if isinstance(document, dict):
        return [document]
    raise SupplierImportError(
        [
            ImportProblem(
                None,
                None,
                "",
                None,
                "expected a PACT ProductFootprint, a list of them, or a response body "
                '{"data": [...]}',
            )
        ]
    )


def supplier_footprint_rows(
    footprints: Sequence[tuple[Any, FootprintSource]],
    items: pa.Table,
    figure: SupplierFigure = DEFAULT_SUPPLIER_FIGURE,
) -> ImportedFootprints:
    """The supplier_footprints rows of ``footprints`` (each with its source), resolved
    against ``items`` (the typed items data set). Raises ``SupplierImportError`` with
    every problem of every footprint when any footprint cannot be imported."""
    if not footprints:
        raise SupplierImportError([ImportProblem(None, None, "", None, "no footprints in it")])
    mapping = _purchased_items_by_product_id(items)
    problems: list[ImportProblem] = []
    notes: list[str] = []
    rows: list[dict[str, Any]] = []
    item_of_footprint: dict[str, int] = {}
    for index, (footprint, source) in enumerate(footprints):
        reader = _FootprintReader(index, footprint, items, mapping, figure)
        row = reader.row(source)
        problems.extend(reader.problems)
        notes.extend(reader.notes)
        if row is None:
            continue
        earlier = item_of_footprint.get(row["item_id"])
        if earlier is not None:
            problems.append(
                reader.problem(
                    "productIds",
                    None,
                    f"describes item {row['item_id']} like footprint {earlier}; an item "
                    "has one supplier footprint: import one of them",
                )
            )
            continue
        item_of_footprint[row["item_id"]] = index
        rows.append(row)
    if problems:
        raise SupplierImportError(problems)
    table = pa.Table.from_pylist(rows, schema=typed_schema(SUPPLIER_FOOTPRINTS))
    return ImportedFootprints(table, tuple(notes))


def with_replaced_items(current: pa.Table | None, imported: pa.Table) -> pa.Table:
    """The next full version of supplier_footprints: ``current``'s rows (None: there is
    no version yet) with the items of ``imported`` replaced or added, in key order."""
    if current is None or current.num_rows == 0:
        merged = imported
    else:
        kept = current.filter(
            pc.invert(pc.is_in(current.column("item_id"), value_set=imported.column("item_id")))
        )
        merged = pa.concat_tables([kept.cast(imported.schema), imported])
    return merged.sort_by([("item_id", "ascending")])


class _FootprintReader:
    """One footprint's row, or its problems."""

    def __init__(
        self,
        index: int,
        footprint: Any,
        items: pa.Table,
        mapping: Mapping[str, tuple[str, ...]],
        figure: SupplierFigure,
    ) -> None:
        self.index = index
        self.footprint = footprint
        self.items = items
        self.mapping = mapping
        self.figure = figure
        self.problems: list[ImportProblem] = []
        self.notes: list[str] = []
        self.pcf_id = footprint.get("id") if isinstance(footprint, dict) else None
        if not isinstance(self.pcf_id, str):
            self.pcf_id = None

    def problem(self, field: str, value: Any, reason: str) -> ImportProblem:
        shown = None if value is None else str(value)
        return ImportProblem(self.index, self.pcf_id, field, shown, reason)

    def refuse(self, field: str, value: Any, reason: str) -> None:
        self.problems.append(self.problem(field, value, reason))

    def row(self, source: FootprintSource) -> dict[str, Any] | None:
        footprint = self.footprint
        if not isinstance(footprint, dict):
            self.refuse("", None, "is not a JSON object")
            return None
        major = self._major_version(footprint.get("specVersion"))
        if major is None:
            return None
        schemas = COMPONENT_SCHEMAS[major]
        for path, message in schema_errors(footprint, schemas["ProductFootprint"], schemas):
            self.refuse(path, None, f"{message} (PACT v{major} ProductFootprint schema)")
        if self.problems:
            return None
        if footprint["status"] != "Active":
            self.refuse(
                "status",
                footprint["status"],
                f"the footprint is {footprint['status']}: only an Active footprint can be "
                "imported (ask the supplier for the one that replaces it)",
            )
        pcf = footprint["pcf"]
        item = self._item(footprint["productIds"])
        per_pact_unit, pact_symbol = self._figure_per_unit(major, pcf)
        share = self._primary_data_share(major, pcf)
        if item is None or per_pact_unit is None or pact_symbol is None or self.problems:
            return None
        per_declared_unit = self._per_declared_unit(item, per_pact_unit, pact_symbol, pcf, major)
        if per_declared_unit is None:
            return None
        start = _utc(pcf["referencePeriodStart"])
        end = _utc(pcf["referencePeriodEnd"])
        if end <= start:
            self.refuse(
                "pcf/referencePeriodEnd", pcf["referencePeriodEnd"], "is not after the start"
            )
            return None
        last_day = (end - timedelta(microseconds=1)).date()  # PACT's end is exclusive
        return {
            "item_id": item["item_id"],
            "supplier": footprint["companyName"],
            "co2e_kg": per_declared_unit,
            "per_unit": item["declared_unit"],
            "primary_data_share": share,
            "period_start": start.date(),
            "period_end": last_day,
            "pcf_id": footprint["id"],
            "source": source.location,
            "retrieved_at": source.retrieved_at.astimezone(UTC),
            "pact_spec_version": footprint["specVersion"],
            "pact_status": footprint["status"],
            "pact_version": footprint.get("version"),
            "pact_figure": _FIGURE_FIELDS[(major, self.figure)],
        }

    def _major_version(self, spec_version: Any) -> str | None:
        if not isinstance(spec_version, str):
            self.refuse("specVersion", spec_version, "is missing: it says which PACT version")
            return None
        major = spec_version.split(".", 1)[0]
        if major not in COMPONENT_SCHEMAS:
            self.refuse(
                "specVersion",
                spec_version,
                f'"{spec_version}" is not a PACT version we read (2.x and 3.x)',
            )
            return None
        return major

    def _item(self, product_ids: Sequence[str]) -> dict[str, Any] | None:
        found = sorted({item for urn in product_ids for item in self.mapping.get(urn.lower(), ())})
        if not found:
            self.refuse(
                "productIds",
                " ".join(product_ids),
                "no material or purchased part has one of these in its product_ids "
                "(items); add the supplier's product id to the item it describes",
            )
            return None
        if len(found) > 1:
            self.refuse(
                "productIds",
                " ".join(product_ids),
                f"describe more than one item ({', '.join(found)}); a footprint is one item's",
            )
            return None
        position = self.items.column("item_id").to_pylist().index(found[0])
        return self.items.slice(position, 1).to_pylist()[0]  # type: ignore[no-any-return]

    def _figure_per_unit(
        self, major: str, pcf: Mapping[str, Any]
    ) -> tuple[float | None, str | None]:
        """kg CO2e per one PACT declared unit, and our symbol of that unit."""
        field = _FIGURE_FIELDS[(major, self.figure)]
        unit_field = "declaredUnitOfMeasurement" if major == "3" else "declaredUnit"
        pact_unit = pcf[unit_field]
        symbol = _our_symbol_of(pact_unit)
        if symbol is None:
            self.refuse(
                f"pcf/{unit_field}",
                pact_unit,
                f'"{pact_unit}" has no unit of ours; importable declared units: '
                f"{', '.join(sorted(_pact_units()))}",
            )
        if field not in pcf:
            self.refuse(
                f"pcf/{field}",
                None,
                f"is missing, and it is the figure this import takes ({self.figure.value})",
            )
            return None, symbol
        value = _decimal(pcf[field])
        if value is None or not math.isfinite(value) or value < 0:
            self.refuse(
                f"pcf/{field}",
                pcf[field],
                "must be a number >= 0: a supplier footprint cannot be negative",
            )
            return None, symbol
        # v3: the figure is for declaredUnitAmount units; v2: for one declared unit
        amount = _decimal(pcf["declaredUnitAmount"]) if major == "3" else 1.0
        if amount is None or amount <= 0:
            self.refuse("pcf/declaredUnitAmount", pcf.get("declaredUnitAmount"), "must be > 0")
            return None, symbol
        return value / amount, symbol

    def _per_declared_unit(
        self,
        item: Mapping[str, Any],
        per_pact_unit: float,
        pact_symbol: str,
        pcf: Mapping[str, Any],
        major: str,
    ) -> float | None:
        mass = item["mass_per_piece_kg"]
        factors, unconvertible = quantity_factors(
            [item["declared_unit"]], [pact_symbol], [math.nan if mass is None else mass]
        )
        if unconvertible[0]:
            unit_field = "declaredUnitOfMeasurement" if major == "3" else "declaredUnit"
            reason = (
                f"per {pcf[unit_field]} does not convert to item {item['item_id']}'s declared "
                f"unit {item['declared_unit']}"
            )
            if mass is None and "piece" in (item["declared_unit"], pact_symbol):
                reason += " without its mass_per_piece_kg (items)"
            self.refuse(f"pcf/{unit_field}", pcf[unit_field], reason)
            return None
        # PACT units in one declared unit of the item
        return per_pact_unit * float(factors[0])

    def _primary_data_share(self, major: str, pcf: Mapping[str, Any]) -> float:
        raw = pcf.get("primaryDataShare")
        if raw is None:
            self.notes.append(
                f"footprint {self.index} ({self.pcf_id}) states no primaryDataShare: "
                "imported with primary data share 0"
            )
            return 0.0
        value = _decimal(raw) if major == "3" else float(raw)
        if value is None or not 0 <= value <= 100:
            self.refuse("pcf/primaryDataShare", raw, "must be a percentage from 0 to 100")
            return 0.0
        return value / 100


def _purchased_items_by_product_id(items: pa.Table) -> dict[str, tuple[str, ...]]:
    """Lower-cased URN -> the materials and purchased parts that list it."""
    found: dict[str, list[str]] = {}
    for row in items.select(["item_id", "item_type", "product_ids"]).to_pylist():
        if row["item_type"] not in _PURCHASED or not row["product_ids"]:
            continue
        for urn in row["product_ids"].split():
            found.setdefault(urn.lower(), []).append(row["item_id"])
    return {urn: tuple(item_ids) for urn, item_ids in found.items()}


@cache
def _pact_units() -> dict[str, str]:
    """PACT declared unit -> our unit symbol for exactly one of it (kilogram -> kg)."""
    units: dict[str, str] = {}
    for symbol in UNIT_SYMBOLS:
        try:
            unit = declared_unit(symbol)
        except PactConversionError:
            continue
        if unit.amount == 1.0:
            units[unit.pact_unit] = symbol
    return units


def _our_symbol_of(pact_unit: str) -> str | None:
    return _pact_units().get(pact_unit)


def _decimal(value: Any) -> float | None:
    """A PACT decimal (a string in v3 and v2's decimal fields, a number in v2's others)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.upper().replace("Z", "+00:00")).astimezone(UTC)
