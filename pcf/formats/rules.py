"""The rules of each kind of file that a single column cannot say.

Three sorts, kept apart because they run in different places:

- ``RowRule``: about the cells of one row. Applied to a typed ``pyarrow.RecordBatch``, so a
  distributed job can apply them partition by partition.
- ``TableRule``: across the rows of one file (cycles, sums per group), and unique keys.
- ``ReferenceRule``: against other kinds already validated (and references to their keys).

Every rule carries the text of the ``FileFormat.rules`` entry it enforces; a test checks
that each entry has at least one rule here, so the documented rules are the enforced ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pcf.core.bom import find_cycles
from pcf.core.units import Dimension, dimension_of, quantity_factors
from pcf.formats.columns import to_bool, unit_symbols
from pcf.formats.definitions import (
    BOM,
    EMISSION_FACTORS,
    FACTOR_MAPPING,
    GRID_MIXES,
    IN_HOUSE_ITEM_TYPES,
    METERS,
    PRODUCTION_COUNTS,
    SITES,
    SUPPLIER_FOOTPRINTS,
    TELEMETRY_WINDOWS,
    ElectricityMethod,
    FileFormat,
    GwpSet,
    ItemType,
    MeterQuantity,
)
from pcf.formats.errors import RowError, errors_at, format_number, quoted

Row = dict[str, Any]

GRID_SHARE_TOLERANCE = 1e-6

# What each meter quantity is measured in.
QUANTITY_DIMENSIONS: dict[MeterQuantity, tuple[Dimension, ...]] = {
    MeterQuantity.ELECTRICITY: (Dimension.ENERGY,),
    MeterQuantity.NATURAL_GAS: (Dimension.ENERGY, Dimension.VOLUME),
    MeterQuantity.PRODUCTION_COUNT: (Dimension.PIECE, Dimension.MASS),
}

PURCHASED_ITEM_TYPES = (ItemType.MATERIAL, ItemType.PURCHASED_PART)


@dataclass(frozen=True)
class CheckedTable:
    """One file's typed table, the spreadsheet row of each table row, and which cells
    failed their column checks (rules skip those cells rather than report them twice)."""

    file_format: FileFormat
    file_name: str
    table: pa.Table
    rows: npt.NDArray[np.int64]
    failed: Mapping[str, npt.NDArray[np.bool_]]

    def column(self, name: str) -> pa.Array:
        return as_array(self.table.column(name))

    def usable(self, *names: str) -> npt.NDArray[np.bool_]:
        """Rows where none of the named cells failed its column checks."""
        usable = np.ones(self.table.num_rows, dtype=np.bool_)
        for name in names:
            if name in self.failed:
                usable &= ~self.failed[name]
        return usable

    def errors_at(
        self,
        violated: npt.NDArray[np.bool_],
        column: str | None,
        describe: Callable[[int], tuple[str | None, str]],
    ) -> list[RowError]:
        return errors_at(violated, self.rows, file=self.file_name, column=column, describe=describe)


@dataclass(frozen=True)
class RowRule:
    """A rule about the cells of one row, on typed values (null = not given)."""

    rule: str  # the FileFormat.rules entry it enforces
    column: str  # where a violation is reported
    uses: tuple[str, ...]  # rows where one of these cells is wrong are skipped
    violated: Callable[[pa.RecordBatch], Any]  # boolean per row, null meaning no
    reason: Callable[[Row], str]


@dataclass(frozen=True)
class TableRule:
    rule: str
    check: Callable[[CheckedTable], list[RowError]]


@dataclass(frozen=True)
class ReferenceRule:
    rule: str
    needs: tuple[str, ...]  # the kinds it looks things up in; skipped if one is missing
    check: Callable[[CheckedTable, Mapping[str, pa.Table]], list[RowError]]


def as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    return values


def display(value: Any) -> str | None:
    """A typed value as a message shows it."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def rule_text(file_format: FileFormat, beginning: str) -> str:
    """The rule of ``file_format`` that starts with ``beginning`` (fails at import if a
    rule is reworded, so the rule and its code are changed together)."""
    matches = [rule for rule in file_format.rules if rule.startswith(beginning)]
    if len(matches) != 1:
        raise LookupError(f"{file_format.kind}: no single rule starts with {beginning!r}")
    return matches[0]


# Row rules ------------------------------------------------------------------------------


def check_row_rules(
    batch: pa.RecordBatch,
    file_format: FileFormat,
    file_name: str,
    rows: npt.NDArray[np.int64],
    failed: Mapping[str, npt.NDArray[np.bool_]],
) -> list[RowError]:
    """Violations of the kind's row rules in a typed batch."""
    errors: list[RowError] = []
    for rule in ROW_RULES.get(file_format.kind, ()):
        violated = to_bool(rule.violated(batch))
        for name in rule.uses:
            violated &= ~failed[name]
        errors.extend(
            errors_at(
                violated,
                rows,
                file=file_name,
                column=rule.column,
                describe=_row_rule_describer(rule, batch),
            )
        )
    return errors


def _row_rule_describer(
    rule: RowRule, batch: pa.RecordBatch
) -> Callable[[int], tuple[str | None, str]]:
    def describe(position: int) -> tuple[str | None, str]:
        row: Row = batch.slice(position, 1).to_pylist()[0]
        return display(row[rule.column]), rule.reason(row)

    return describe


def _given(name: str) -> Callable[[pa.RecordBatch], Any]:
    return lambda batch: pc.is_valid(batch.column(name))


def _both(
    first: Callable[[pa.RecordBatch], Any], second: Callable[[pa.RecordBatch], Any]
) -> Callable[[pa.RecordBatch], Any]:
    return lambda batch: pc.and_(first(batch), second(batch))


def _absent(name: str) -> Callable[[pa.RecordBatch], Any]:
    return lambda batch: pc.is_null(batch.column(name))


def _equals(name: str, value: str) -> Callable[[pa.RecordBatch], Any]:
    return lambda batch: pc.equal(batch.column(name), value)


def _compares(name: str, compare: Any, other: str) -> Callable[[pa.RecordBatch], Any]:
    return lambda batch: compare(batch.column(name), batch.column(other))


def _unit_does_not_fit_quantity(batch: pa.RecordBatch) -> Any:
    violated = pa.array(np.zeros(batch.num_rows, dtype=np.bool_))
    for quantity, dimensions in QUANTITY_DIMENSIONS.items():
        symbols = unit_symbols(dimensions)
        wrong_unit = pc.invert(pc.is_in(batch.column("unit"), value_set=pa.array(symbols)))
        measures = pc.equal(batch.column("quantity"), quantity.value)
        violated = pc.or_(violated, pc.and_(measures, wrong_unit))
    return violated


def _unit_for_quantity_reason(row: Row) -> str:
    quantity = MeterQuantity(row["quantity"])
    expected = " or ".join(str(dimension) for dimension in QUANTITY_DIMENSIONS[quantity])
    unit = row["unit"]
    return f"unit {quoted(unit)} is {dimension_of(unit)}; {quantity} is metered in {expected}"


_GASES = ("co2_kg", "ch4_kg", "n2o_kg")
_FACTOR_FORM = rule_text(EMISSION_FACTORS, "Give co2e_kg")
_GWP_SETS = " or ".join(member.value for member in GwpSet)
_PRODUCTION_COUNT = MeterQuantity.PRODUCTION_COUNT.value


def _market_electricity_needs(name: str) -> RowRule:
    return RowRule(
        rule_text(SITES, "market electricity"),
        name,
        ("electricity_method", name),
        _both(_equals("electricity_method", ElectricityMethod.MARKET.value), _absent(name)),
        lambda row: f"electricity_method market needs {name}",
    )


def _any_gas(batch: pa.RecordBatch) -> Any:
    given = [pc.is_valid(batch.column(name)) for name in _GASES]
    return pc.or_(pc.or_(given[0], given[1]), given[2])


def _no_factor_value_reason(row: Row) -> str:
    if row["ch4_kg"] is not None or row["n2o_kg"] is not None:
        return "co2_kg is missing: give co2_kg (with ch4_kg and n2o_kg), or co2e_kg"
    return "give co2e_kg with co2e_gwp_set, or co2_kg (with optional ch4_kg and n2o_kg)"


ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    EMISSION_FACTORS.kind: (
        RowRule(
            _FACTOR_FORM,
            "co2e_kg",
            ("co2e_kg", *_GASES),
            _both(_given("co2e_kg"), _any_gas),
            lambda row: (
                "give either co2e_kg (with co2e_gwp_set) or co2_kg (with optional "
                "ch4_kg and n2o_kg), not both"
            ),
        ),
        RowRule(
            _FACTOR_FORM,
            "co2_kg",
            ("co2e_kg", *_GASES),
            _both(_absent("co2e_kg"), _absent("co2_kg")),
            _no_factor_value_reason,
        ),
        RowRule(
            _FACTOR_FORM,
            "co2e_gwp_set",
            ("co2e_kg", "co2e_gwp_set"),
            _both(_given("co2e_kg"), _absent("co2e_gwp_set")),
            lambda row: (
                f"co2e_kg needs co2e_gwp_set, the GWP set it was computed with ({_GWP_SETS})"
            ),
        ),
        RowRule(
            _FACTOR_FORM,
            "co2e_gwp_set",
            ("co2e_kg", "co2e_gwp_set"),
            _both(_absent("co2e_kg"), _given("co2e_gwp_set")),
            lambda row: "co2e_gwp_set is given without co2e_kg",
        ),
        RowRule(
            rule_text(EMISSION_FACTORS, "valid_to"),
            "valid_to",
            ("valid_from", "valid_to"),
            _compares("valid_to", pc.less, "valid_from"),
            lambda row: (
                f"{display(row['valid_to'])} is before valid_from {display(row['valid_from'])}"
            ),
        ),
    ),
    SUPPLIER_FOOTPRINTS.kind: (
        RowRule(
            rule_text(SUPPLIER_FOOTPRINTS, "period_end"),
            "period_end",
            ("period_start", "period_end"),
            _compares("period_end", pc.less, "period_start"),
            lambda row: (
                f"{display(row['period_end'])} is before period_start "
                f"{display(row['period_start'])}"
            ),
        ),
    ),
    SITES.kind: (
        _market_electricity_needs("contract_factor_kg_per_kwh"),
        _market_electricity_needs("contract_covered_share"),
    ),
    METERS.kind: (
        RowRule(
            rule_text(METERS, "A production_count meter"),
            "machine_id",
            ("quantity", "machine_id"),
            _both(_equals("quantity", _PRODUCTION_COUNT), _absent("machine_id")),
            lambda row: "a production_count meter is attached to a machine; give machine_id",
        ),
        RowRule(
            rule_text(METERS, "A production_count meter"),
            "item_id",
            ("quantity", "item_id"),
            _both(_equals("quantity", _PRODUCTION_COUNT), _absent("item_id")),
            lambda row: "a production_count meter counts an item; give item_id",
        ),
        RowRule(
            rule_text(METERS, "The unit fits the quantity"),
            "unit",
            ("quantity", "unit"),
            _unit_does_not_fit_quantity,
            _unit_for_quantity_reason,
        ),
    ),
    PRODUCTION_COUNTS.kind: (
        RowRule(
            rule_text(PRODUCTION_COUNTS, "period_end"),
            "period_end",
            ("period_start", "period_end"),
            _compares("period_end", pc.less_equal, "period_start"),
            lambda row: (
                f"{display(row['period_end'])} is not after period_start "
                f"{display(row['period_start'])}"
            ),
        ),
    ),
    TELEMETRY_WINDOWS.kind: (
        RowRule(
            rule_text(TELEMETRY_WINDOWS, "window_end"),
            "window_end",
            ("window_start", "window_end"),
            _compares("window_end", pc.less_equal, "window_start"),
            lambda row: (
                f"{display(row['window_end'])} is not after window_start "
                f"{display(row['window_start'])}"
            ),
        ),
        RowRule(
            rule_text(TELEMETRY_WINDOWS, "samples_dropped"),
            "samples_dropped",
            ("samples_received", "samples_dropped"),
            _compares("samples_dropped", pc.greater, "samples_received"),
            lambda row: (
                f"{row['samples_dropped']} is more than samples_received {row['samples_received']}"
            ),
        ),
    ),
}


# Table rules ----------------------------------------------------------------------------


def check_table_rules(checked: CheckedTable) -> list[RowError]:
    """Repeated keys and violations of the kind's rules across rows."""
    errors = duplicate_key_errors(checked) if checked.file_format.key_unique else []
    for rule in TABLE_RULES.get(checked.file_format.kind, ()):
        errors.extend(rule.check(checked))
    return errors


def duplicate_key_errors(checked: CheckedTable) -> list[RowError]:
    """Rows whose key repeats an earlier row's, each naming the earlier row."""
    key = checked.file_format.key
    usable = checked.usable(*key)
    for name in key:
        usable &= to_bool(pc.is_valid(checked.column(name)))
    positions = np.flatnonzero(usable)
    if len(positions) < 2:
        return []
    selection = pa.array(usable)
    key_codes = _combined_codes([pc.filter(checked.column(name), selection) for name in key])
    _, first_index, inverse = np.unique(
        key_codes, axis=0 if key_codes.ndim == 2 else None, return_index=True, return_inverse=True
    )
    first_position = positions[first_index[inverse.reshape(-1)]]
    duplicate = np.zeros(checked.table.num_rows, dtype=np.bool_)
    duplicate[positions] = first_position != positions
    first_row = np.zeros(checked.table.num_rows, dtype=np.int64)
    first_row[positions] = checked.rows[first_position]

    def describe(position: int) -> tuple[str | None, str]:
        values = [display(checked.column(name)[position].as_py()) for name in key]
        if len(key) == 1:
            what = f"{key[0]} {quoted(values[0])}"
        else:
            what = "key " + ", ".join(
                f"{name} {quoted(value)}" for name, value in zip(key, values, strict=True)
            )
        return values[0], f"duplicate {what}: also in row {first_row[position]}"

    return checked.errors_at(duplicate, key[0], describe)


def _combined_codes(columns: list[pa.Array]) -> npt.NDArray[np.int64]:
    """One integer per row that is equal for rows with equal values in all ``columns``:
    a single int64 when the codes fit, else one column of codes per key column."""
    codes = [pc.dictionary_encode(column).indices.to_numpy().astype(np.int64) for column in columns]
    cardinalities = [int(code.max()) + 1 for code in codes]
    if float(np.prod(np.array(cardinalities, dtype=np.float64))) >= 2.0**62:
        return np.stack(codes, axis=1)
    combined = np.zeros(len(codes[0]), dtype=np.int64)
    for code, cardinality in zip(codes, cardinalities, strict=True):
        combined = combined * cardinality + code
    return combined


def _bom_cycle_errors(checked: CheckedTable) -> list[RowError]:
    usable = checked.usable("parent_item_id", "child_item_id")
    usable &= _lines_that_may_be_in_a_cycle(
        checked.column("parent_item_id"), checked.column("child_item_id")
    )
    positions = np.flatnonzero(usable)
    selection = pa.array(usable)
    parents = pc.filter(checked.column("parent_item_id"), selection).to_numpy(zero_copy_only=False)
    children = pc.filter(checked.column("child_item_id"), selection).to_numpy(zero_copy_only=False)
    cycles = find_cycles(parents.tolist(), children.tolist())
    closing = np.zeros(checked.table.num_rows, dtype=np.bool_)
    cycle_at: dict[int, list[str]] = {}
    for cycle in cycles:
        # Point at the line that closes the cycle: from its last item back to its first.
        line = int(np.flatnonzero((parents == cycle[-1]) & (children == cycle[0]))[0])
        closing[positions[line]] = True
        cycle_at[int(positions[line])] = cycle

    def describe(position: int) -> tuple[str | None, str]:
        cycle = cycle_at[position]
        return cycle[0], "cycle " + " -> ".join([*cycle, cycle[0]])

    return checked.errors_at(closing, "child_item_id", describe)


def _lines_that_may_be_in_a_cycle(parents: pa.Array, children: pa.Array) -> npt.NDArray[np.bool_]:
    """BOM lines left after repeatedly dropping lines into items that consume nothing and
    lines from items nothing consumes: every line of a cycle stays. Keeps find_cycles to
    the few suspect lines of a large BOM; one pass per BOM level."""
    # Items as integer codes (a missing item is a code of its own, as is_in would match
    # it), so each pass is a few numpy lookups rather than hashing every string again.
    codes = pc.dictionary_encode(
        pa.concat_arrays([parents, children]), null_encoding="encode"
    ).indices.to_numpy()
    parent_codes, child_codes = codes[: len(parents)], codes[len(parents) :]
    item_count = int(codes.max()) + 1 if len(codes) else 0
    keep = np.ones(len(parents), dtype=np.bool_)
    while keep.any():
        is_kept_parent = np.zeros(item_count, dtype=np.bool_)
        is_kept_parent[parent_codes[keep]] = True
        is_kept_child = np.zeros(item_count, dtype=np.bool_)
        is_kept_child[child_codes[keep]] = True
        narrowed = keep & is_kept_parent[child_codes] & is_kept_child[parent_codes]
        if (narrowed == keep).all():
            break
        keep = narrowed
    return keep


def _grid_share_errors(checked: CheckedTable) -> list[RowError]:
    regions = checked.column("grid_region")
    usable = checked.usable("grid_region", "share") & to_bool(pc.is_valid(regions))
    # A region with a share that is not a number has no meaningful sum.
    incomplete = pc.unique(pc.filter(regions, pa.array(~usable)))
    selection = pa.array(usable)
    sums = (
        pa.table(
            {
                "grid_region": pc.filter(regions, selection),
                "share": pc.filter(checked.column("share"), selection),
                "position": pa.array(np.flatnonzero(usable)),
            }
        )
        .group_by("grid_region")
        .aggregate([("share", "sum"), ("position", "min")])
    )
    sums = sums.filter(pc.invert(pc.is_in(sums.column("grid_region"), value_set=incomplete)))
    total = sums.column("share_sum").to_numpy()
    off = np.abs(total - 1.0) > GRID_SHARE_TOLERANCE
    first_line = np.zeros(checked.table.num_rows, dtype=np.bool_)
    first_line[sums.column("position_min").to_numpy()[off]] = True
    total_at = dict(zip(sums.column("position_min").to_pylist(), total.tolist(), strict=True))

    def describe(position: int) -> tuple[str | None, str]:
        region = regions[position].as_py()
        share = total_at[position]
        return region, (
            f"the shares of grid region {quoted(region)} add up to {share:.10g} "
            f"({share * 100:.8g} %), not 1"
        )

    return checked.errors_at(first_line, "share", describe)


TABLE_RULES: dict[str, tuple[TableRule, ...]] = {
    BOM.kind: (TableRule(rule_text(BOM, "The lines must not form a cycle"), _bom_cycle_errors),),
    GRID_MIXES.kind: (TableRule(rule_text(GRID_MIXES, "The shares"), _grid_share_errors),),
}


# Reference rules ------------------------------------------------------------------------


def check_reference_rules(
    checked: CheckedTable, references: Mapping[str, pa.Table]
) -> list[RowError]:
    """Values that must exist in, or agree with, other kinds' validated tables. A check
    whose kinds are not in ``references`` is skipped."""
    errors: list[RowError] = []
    for column in checked.file_format.columns:
        reference = column.references
        if reference is None or reference.kind not in references:
            continue
        values = checked.column(column.name)
        known = pc.unique(as_array(references[reference.kind].column(reference.column)))
        unknown = to_bool(pc.is_valid(values)) & ~to_bool(pc.is_in(values, value_set=known))
        noun = reference.column.removesuffix("_id").replace("_", " ")

        def describe(
            position: int, values: pa.Array = values, noun: str = noun, kind: str = reference.kind
        ) -> tuple[str | None, str]:
            value = values[position].as_py()
            return value, f"unknown {noun} {quoted(value)} (not in {kind})"

        errors.extend(checked.errors_at(unknown, column.name, describe))
    for rule in REFERENCE_RULES.get(checked.file_format.kind, ()):
        if all(kind in references for kind in rule.needs):
            errors.extend(rule.check(checked, references))
    return errors


def referenced_kinds(file_format: FileFormat) -> tuple[str, ...]:
    """The kinds a file of ``file_format`` is checked against, in no particular order."""
    kinds = {column.references.kind for column in file_format.columns if column.references}
    for rule in REFERENCE_RULES.get(file_format.kind, ()):
        kinds.update(rule.needs)
    return tuple(sorted(kinds))


def _lookup(values: pa.Array, table: pa.Table, key: str, field: str) -> pa.Array:
    """``field`` of the row of ``table`` whose ``key`` is each value (null if none)."""
    return _lookups(values, table, key, field)[0]


def _lookups(values: pa.Array, table: pa.Table, key: str, *fields: str) -> list[pa.Array]:
    """``_lookup`` of several fields, finding each value's row once."""
    index = pc.index_in(values, value_set=as_array(table.column(key)))
    return [pc.take(as_array(table.column(field)), index) for field in fields]


def _item_type_errors(checked: CheckedTable, references: Mapping[str, pa.Table]) -> list[RowError]:
    items = checked.column("item_id")
    item_types = _lookup(items, references["items"], "item_id", "item_type")
    allowed = pa.array([item_type.value for item_type in PURCHASED_ITEM_TYPES])
    violated = to_bool(pc.is_valid(item_types)) & ~to_bool(pc.is_in(item_types, allowed))

    def describe(position: int) -> tuple[str | None, str]:
        item = items[position].as_py()
        return (
            item,
            f"{quoted(item)} is a {item_types[position].as_py()}, not a material or purchased_part",
        )

    return checked.errors_at(violated, "item_id", describe)


def _bom_parent_errors(checked: CheckedTable, references: Mapping[str, pa.Table]) -> list[RowError]:
    parents = checked.column("parent_item_id")
    item_types = _lookup(parents, references["items"], "item_id", "item_type")
    in_house = pa.array([item_type.value for item_type in IN_HOUSE_ITEM_TYPES])
    violated = to_bool(pc.is_valid(item_types)) & ~to_bool(pc.is_in(item_types, in_house))

    def describe(position: int) -> tuple[str | None, str]:
        parent = parents[position].as_py()
        return parent, (
            f"{quoted(parent)} is a {item_types[position].as_py()}; only a product or "
            "subassembly has a bill of materials"
        )

    return checked.errors_at(violated, "parent_item_id", describe)


@dataclass(frozen=True)
class _Conversion:
    """Whether units convert to the declared units of items, row by row."""

    unconvertible: npt.NDArray[np.bool_]
    declared: pa.Array
    mass_per_piece_missing: npt.NDArray[np.bool_]

    def reason_tail(self, position: int, item: str) -> str:
        tail = (
            f"does not convert to {self.declared[position].as_py()}, the declared unit of "
            f"item {quoted(item)}"
        )
        if self.mass_per_piece_missing[position]:
            tail += ": give its mass_per_piece_kg in items"
        return tail


_PIECE_UNITS = pa.array(unit_symbols((Dimension.PIECE,)), pa.string())
_MASS_UNITS = pa.array(unit_symbols((Dimension.MASS,)), pa.string())


def _in(units: pa.Array, symbols: pa.Array) -> npt.NDArray[np.bool_]:
    return to_bool(pc.is_in(units, value_set=symbols))


def _conversion_to_items(
    units: pa.Array, item_ids: pa.Array, items: pa.Table, applies: npt.NDArray[np.bool_]
) -> _Conversion:
    declared, mass_per_piece = _lookups(
        item_ids, items, "item_id", "declared_unit", "mass_per_piece_kg"
    )
    candidates = applies & to_bool(pc.is_valid(units)) & to_bool(pc.is_valid(declared))
    unconvertible = np.zeros(len(units), dtype=np.bool_)
    missing = np.zeros(len(units), dtype=np.bool_)
    if candidates.any():
        selection = pa.array(candidates)
        source_units, target_units = pc.filter(units, selection), pc.filter(declared, selection)
        masses = pc.fill_null(pc.filter(mass_per_piece, selection), np.nan).to_numpy()
        _, unconvertible[candidates] = quantity_factors(
            source_units.to_numpy(zero_copy_only=False),
            target_units.to_numpy(zero_copy_only=False),
            masses,
        )
        crossing = (_in(source_units, _PIECE_UNITS) & _in(target_units, _MASS_UNITS)) | (
            _in(source_units, _MASS_UNITS) & _in(target_units, _PIECE_UNITS)
        )
        missing[candidates] = crossing & np.isnan(masses)
    return _Conversion(unconvertible, declared, missing & unconvertible)


def _bom_unit_errors(checked: CheckedTable, references: Mapping[str, pa.Table]) -> list[RowError]:
    units, children = checked.column("unit"), checked.column("child_item_id")
    applies = np.ones(len(units), dtype=np.bool_)
    conversion = _conversion_to_items(units, children, references["items"], applies)

    def describe(position: int) -> tuple[str | None, str]:
        unit = units[position].as_py()
        return (
            unit,
            f"{quoted(unit)} {conversion.reason_tail(position, children[position].as_py())}",
        )

    return checked.errors_at(conversion.unconvertible, "unit", describe)


def _per_unit_errors(checked: CheckedTable, references: Mapping[str, pa.Table]) -> list[RowError]:
    units, items = checked.column("per_unit"), checked.column("item_id")
    applies = np.ones(len(units), dtype=np.bool_)
    conversion = _conversion_to_items(units, items, references["items"], applies)

    def describe(position: int) -> tuple[str | None, str]:
        unit = units[position].as_py()
        return unit, f"{quoted(unit)} {conversion.reason_tail(position, items[position].as_py())}"

    return checked.errors_at(conversion.unconvertible, "per_unit", describe)


def _mapped_factor_unit_errors(
    checked: CheckedTable, references: Mapping[str, pa.Table]
) -> list[RowError]:
    factors, items = checked.column("factor_id"), checked.column("item_id")
    per_units = _lookup(factors, references["emission_factors"], "factor_id", "per_unit")
    applies = np.ones(len(factors), dtype=np.bool_)
    conversion = _conversion_to_items(per_units, items, references["items"], applies)

    def describe(position: int) -> tuple[str | None, str]:
        factor = factors[position].as_py()
        return factor, (
            f"factor {quoted(factor)} is per {per_units[position].as_py()}, which "
            f"{conversion.reason_tail(position, items[position].as_py())}"
        )

    return checked.errors_at(conversion.unconvertible, "factor_id", describe)


def _counter_unit_errors(
    checked: CheckedTable, references: Mapping[str, pa.Table]
) -> list[RowError]:
    units, items = checked.column("unit"), checked.column("item_id")
    mass_symbols = pa.array(unit_symbols((Dimension.MASS,)))
    # A count in pieces always fits; a count by mass must convert to the item's unit.
    applies = to_bool(pc.equal(checked.column("quantity"), _PRODUCTION_COUNT)) & to_bool(
        pc.is_in(units, value_set=mass_symbols)
    )
    conversion = _conversion_to_items(units, items, references["items"], applies)

    def describe(position: int) -> tuple[str | None, str]:
        unit = units[position].as_py()
        return unit, f"{quoted(unit)} {conversion.reason_tail(position, items[position].as_py())}"

    return checked.errors_at(conversion.unconvertible, "unit", describe)


def _machine_site_errors(
    checked: CheckedTable, references: Mapping[str, pa.Table]
) -> list[RowError]:
    machines, sites = checked.column("machine_id"), checked.column("site_id")
    machine_sites = _lookup(machines, references["machines"], "machine_id", "site_id")
    violated = to_bool(pc.not_equal(machine_sites, sites))

    def describe(position: int) -> tuple[str | None, str]:
        machine = machines[position].as_py()
        return machine, (
            f"machine {quoted(machine)} stands at site {quoted(machine_sites[position].as_py())}"
            f", not {quoted(sites[position].as_py())}"
        )

    return checked.errors_at(violated, "machine_id", describe)


def _calorific_basis_errors(
    checked: CheckedTable, references: Mapping[str, pa.Table]
) -> list[RowError]:
    factors, bases = checked.column("gas_factor_id"), checked.column("gas_calorific_basis")
    factor_bases = _lookup(factors, references["emission_factors"], "factor_id", "energy_basis")
    violated = to_bool(pc.not_equal(factor_bases, bases))

    def describe(position: int) -> tuple[str | None, str]:
        basis = bases[position].as_py()
        return basis, (
            f"{quoted(basis)} does not match gas factor {quoted(factors[position].as_py())}, "
            f"which is on a {factor_bases[position].as_py()} basis"
        )

    return checked.errors_at(violated, "gas_calorific_basis", describe)


def _gas_factor_unit_errors(
    checked: CheckedTable, references: Mapping[str, pa.Table]
) -> list[RowError]:
    energy_symbols = pa.array(unit_symbols((Dimension.ENERGY,)))
    errors: list[RowError] = []
    for name in ("gas_factor_id", "gas_upstream_factor_id"):
        factors = checked.column(name)
        per_units = _lookup(factors, references["emission_factors"], "factor_id", "per_unit")
        violated = to_bool(pc.is_valid(per_units)) & ~to_bool(
            pc.is_in(per_units, value_set=energy_symbols)
        )

        def describe(
            position: int, factors: pa.Array = factors, per_units: pa.Array = per_units
        ) -> tuple[str | None, str]:
            factor, per_unit = factors[position].as_py(), per_units[position].as_py()
            return factor, (
                f"factor {quoted(factor)} is per {per_unit} ({dimension_of(per_unit)}); "
                "a natural gas factor is per unit of energy"
            )

        errors.extend(checked.errors_at(violated, name, describe))
    return errors


REFERENCE_RULES: dict[str, tuple[ReferenceRule, ...]] = {
    BOM.kind: (
        ReferenceRule(rule_text(BOM, "The parent"), ("items",), _bom_parent_errors),
        ReferenceRule(rule_text(BOM, "The unit must convert"), ("items",), _bom_unit_errors),
    ),
    FACTOR_MAPPING.kind: (
        ReferenceRule(rule_text(FACTOR_MAPPING, "The item is"), ("items",), _item_type_errors),
        ReferenceRule(
            rule_text(FACTOR_MAPPING, "The factor's per_unit"),
            ("items", "emission_factors"),
            _mapped_factor_unit_errors,
        ),
    ),
    SUPPLIER_FOOTPRINTS.kind: (
        ReferenceRule(rule_text(SUPPLIER_FOOTPRINTS, "The item is"), ("items",), _item_type_errors),
        ReferenceRule(
            rule_text(SUPPLIER_FOOTPRINTS, "per_unit converts"), ("items",), _per_unit_errors
        ),
    ),
    SITES.kind: (
        ReferenceRule(
            rule_text(SITES, "gas_calorific_basis"),
            ("emission_factors",),
            _calorific_basis_errors,
        ),
        ReferenceRule(
            rule_text(SITES, "gas_factor_id and"), ("emission_factors",), _gas_factor_unit_errors
        ),
    ),
    METERS.kind: (
        ReferenceRule(
            rule_text(METERS, "The unit fits the quantity"), ("items",), _counter_unit_errors
        ),
        ReferenceRule(rule_text(METERS, "The machine"), ("machines",), _machine_site_errors),
    ),
    PRODUCTION_COUNTS.kind: (
        ReferenceRule(
            rule_text(PRODUCTION_COUNTS, "The machine"), ("machines",), _machine_site_errors
        ),
    ),
}


def rules_enforced(kind: str) -> set[str]:
    """The FileFormat.rules entries of ``kind`` that some rule here enforces."""
    rules: list[RowRule | TableRule | ReferenceRule] = [
        *ROW_RULES.get(kind, ()),
        *TABLE_RULES.get(kind, ()),
        *REFERENCE_RULES.get(kind, ()),
    ]
    return {rule.rule for rule in rules}
