"""Audit records and their hash chain.

A footprint's record is a JSON document: its own inputs (its BOM sub-graph and factors)
with their dataset versions, the method settings, the steps and the result. The inputs
every footprint of a run shares (meters, production, the items produced, energy
factors) are one site-inputs record per run, named in each footprint's record by its
sha256 (docs/decisions/0012). Records form one chain: each record's hash
covers its canonical JSON and the previous record's hash, so changing or removing any
record breaks every hash after it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from pcf.core.model import FootprintInputs

if TYPE_CHECKING:
    from pcf.core.engine import FootprintCalculation, ItemFootprint

GENESIS_HASH = "0" * 64


def canonical_json(document: Any) -> str:
    """The one serialisation hashed: sorted keys, no spaces, floats as Python's repr
    (which round-trips exactly), NaN refused."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def chain_hash(previous_hash: str, record_json: str) -> str:
    """sha256 hex of the previous hash and the record's canonical JSON."""
    return hashlib.sha256((previous_hash + "\n" + record_json).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainedRecord:
    sequence: int
    record_json: str
    previous_hash: str
    record_hash: str


@dataclass(frozen=True)
class ChainProblem:
    sequence: int
    reason: str


def verify_chain(records: Iterable[ChainedRecord]) -> list[ChainProblem]:
    """Every record whose stored hashes do not match its content or its predecessor,
    in sequence order. An empty list means the chain is intact."""
    problems: list[ChainProblem] = []
    expected_previous = GENESIS_HASH
    expected_sequence: int | None = None
    for record in records:
        if expected_sequence is not None and record.sequence != expected_sequence:
            problems.append(
                ChainProblem(
                    record.sequence,
                    f"sequence jumps from {expected_sequence - 1} to {record.sequence}: "
                    "records are missing",
                )
            )
        if record.previous_hash != expected_previous:
            problems.append(
                ChainProblem(record.sequence, "previous_hash does not match the record before")
            )
        if chain_hash(record.previous_hash, record.record_json) != record.record_hash:
            problems.append(
                ChainProblem(record.sequence, "content does not match its hash: tampered")
            )
        expected_previous = record.record_hash
        expected_sequence = record.sequence + 1
    return problems


# -- footprint records ------------------------------------------------------------------

# 2: the site-wide inputs live once per run in a site-inputs record of the chain; each
# footprint's record holds its own BOM sub-graph and that record's sha256 (0012).
AUDIT_RECORD_VERSION = 2
SITE_INPUTS_KIND = "site_inputs"

# Where each part of FootprintInputs is recorded. Items and emission factors are in
# both: a footprint's own items and factors in its record, the items produced at the
# site (allocation weighs them) and the gas factors in the site-inputs record.
OWN_TABLES = ("items", "bom", "emission_factors", "factor_mapping", "supplier_footprints")
SITE_TABLES = ("items", "emission_factors", "grid_mix", "machines", "meters", "production")
_SHARED_KEYS = {"items": "item_id", "emission_factors": "factor_id"}
_SITE_CONTEXT = ("telemetry", "warnings")  # site-wide parts of the context


class SiteInputsMismatch(ValueError):
    """A record's site inputs are missing, or not the document its sha256 names."""


def footprint_summary(footprint: ItemFootprint) -> dict[str, Any]:
    """The numbers of a footprint as they stand in its audit record (what
    ``dataclasses.asdict`` gives, enums as their values, built field by field: a run
    summarises every footprint twice)."""
    summary = {
        field.name: getattr(footprint, field.name) for field in dataclasses.fields(footprint)
    }
    summary["by_category"] = dict(footprint.by_category)
    summary["by_source"] = [
        {
            "category": s.category.value,
            "source_kind": s.source_kind,
            "source_id": s.source_id,
            "machine_id": s.machine_id,
            "amount": s.amount,
            "amount_unit": s.amount_unit,
            "kg_co2e": s.kg_co2e,
        }
        for s in footprint.by_source
    ]
    summary["notes"] = list(footprint.notes)
    summary["gwp_sets"] = list(footprint.gwp_sets)
    summary["exploded_items"] = dict(footprint.exploded_items)
    summary["meter_completeness"] = dict(footprint.meter_completeness)
    summary["estimated_meters"] = list(footprint.estimated_meters)
    return summary


def site_inputs_sha256(site_inputs_json: str) -> str:
    """sha256 hex of a site-inputs record's canonical JSON: the name footprint records
    give it."""
    return hashlib.sha256(site_inputs_json.encode("utf-8")).hexdigest()


class RunAuditRecords:
    """The audit documents of one calculation run: the site's inputs once
    (``site_inputs``, whose canonical JSON is ``site_inputs_json``), and one record per
    footprint (``footprint_record``) holding its own BOM sub-graph, its factors and the
    site-inputs record's sha256.

    ``context`` adds what the engine does not know: site, period, dataset versions
    (in every record), telemetry totals with window hashes and warnings (site-wide: in
    the site-inputs record only).
    """

    def __init__(self, calculation: FootprintCalculation, context: Mapping[str, Any]) -> None:
        self.calculation = calculation
        inputs = calculation.inputs
        self._context = {k: v for k, v in context.items() if k not in _SITE_CONTEXT}
        factors = calculation.energy_factors
        produced = set(np.asarray(inputs.production.item_id, dtype=str).tolist())
        gas = {f for f in (inputs.site.gas_factor_id, inputs.site.gas_upstream_factor_id) if f}
        site_part = dataclasses.replace(
            inputs,
            items=inputs.items.take(_rows_of(inputs.items.item_id, produced)),
            emission_factors=inputs.emission_factors.take(
                _rows_of(inputs.emission_factors.factor_id, gas)
            ),
        ).to_record()
        self.site_inputs: dict[str, Any] = {
            "record_version": AUDIT_RECORD_VERSION,
            "kind": SITE_INPUTS_KIND,
            **context,
            "method": _method(inputs),
            "inputs": {name: site_part[name] for name in (*SITE_TABLES, "site", "settings")},
            "steps": {
                "electricity_location_kg_per_kwh": factors.electricity_location_kg_per_kwh,
                "electricity_market_kg_per_kwh": factors.electricity_market_kg_per_kwh,
                "electricity_method": factors.electricity_method.value,
                "natural_gas_kg_per_kwh": factors.natural_gas_kg_per_kwh,
                "natural_gas_kwh_per_m3": factors.natural_gas_kwh_per_m3,
            },
        }
        self.site_inputs_json = canonical_json(self.site_inputs)
        self.site_inputs_sha256 = site_inputs_sha256(self.site_inputs_json)
        # row positions by key, so one footprint's rows are found in O(its sub-graph)
        self._items = _positions(inputs.items.item_id)
        self._bom = _positions(inputs.bom.parent_item_id)
        self._mapping = _positions(inputs.factor_mapping.item_id)
        self._suppliers = _positions(inputs.supplier_footprints.item_id)
        self._factors = _positions(inputs.emission_factors.factor_id)

    def footprint_record(self, footprint: ItemFootprint) -> dict[str, Any]:
        """One footprint's audit record: its own inputs, the site-inputs record's sha256,
        the steps and the result. Its size depends on its BOM sub-graph only, not on how
        much else the site produces."""
        inputs = self.calculation.inputs
        below = sorted({footprint.item_id, *footprint.exploded_items})
        mapping_rows = _take(self._mapping, below)
        mapped = sorted({str(f) for f in np.asarray(inputs.factor_mapping.factor_id)[mapping_rows]})
        own = {
            "items": inputs.items.take(_take(self._items, below)).to_columns(),
            "bom": inputs.bom.take(_take(self._bom, below)).to_columns(),
            "emission_factors": inputs.emission_factors.take(
                _take(self._factors, mapped)
            ).to_columns(),
            "factor_mapping": inputs.factor_mapping.take(mapping_rows).to_columns(),
            "supplier_footprints": inputs.supplier_footprints.take(
                _take(self._suppliers, below)
            ).to_columns(),
        }
        return {
            "record_version": AUDIT_RECORD_VERSION,
            "item_id": footprint.item_id,
            **self._context,
            "method": _method(inputs),
            "site_inputs": {"sha256": self.site_inputs_sha256},
            "inputs": own,
            "steps": {"exploded_items": footprint.exploded_items},
            "result": footprint_summary(footprint),
        }


def _method(inputs: FootprintInputs) -> dict[str, Any]:
    return {
        "settings": dataclasses.asdict(inputs.settings),
        "categories": ["materials", "purchased_parts", "electricity", "natural_gas"],
    }


def _positions(keys: Any) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for row, key in enumerate(np.asarray(keys, dtype=object).tolist()):
        positions.setdefault(str(key), []).append(row)
    return positions


def _take(positions: Mapping[str, list[int]], keys: Iterable[str]) -> npt.NDArray[np.int64]:
    """The rows of these keys in table order (the order the calculation read them)."""
    rows = sorted(row for key in keys for row in positions.get(key, ()))
    return np.asarray(rows, dtype=np.int64)


def _rows_of(keys: Any, wanted: set[str]) -> npt.NDArray[np.bool_]:
    return np.isin(np.asarray(keys, dtype=str), sorted(wanted))


def joined_record(
    record: Mapping[str, Any],
    site_inputs: Mapping[str, Any] | None,
    site_inputs_json: str | None = None,
) -> dict[str, Any]:
    """A footprint's record with its site-inputs record joined in: every input of the
    footprint in one document (what a record of version 1 held), for an auditor and for
    recomputing. Version 1 records are returned as they are. ``SiteInputsMismatch``
    when a version 2 record's site inputs are missing or another document.

    ``site_inputs_json``, when given, is the stored text ``site_inputs`` was parsed
    from: it is hashed instead of serialising the document again."""
    if record.get("record_version", 1) < 2:
        return dict(record)
    if site_inputs is None:
        _check_site_inputs(record, None)
        raise AssertionError  # unreachable: the check raises
    _check_site_inputs(
        record,
        site_inputs_sha256(
            canonical_json(site_inputs) if site_inputs_json is None else site_inputs_json
        ),
    )
    return _joined(record, site_inputs)


def _check_site_inputs(record: Mapping[str, Any], found_sha256: str | None) -> None:
    """``SiteInputsMismatch`` unless the site inputs found hash to the sha256 the
    record names."""
    expected = record["site_inputs"]["sha256"]
    if found_sha256 is None:
        raise SiteInputsMismatch(f"the site-inputs record {expected} is missing")
    if found_sha256 != expected:
        raise SiteInputsMismatch(
            f"the site-inputs record's content hashes to {found_sha256}, not {expected}: tampered"
        )


def _joined(record: Mapping[str, Any], site_inputs: Mapping[str, Any]) -> dict[str, Any]:
    site_context = {k: site_inputs[k] for k in _SITE_CONTEXT if k in site_inputs}
    return {
        **record,
        **site_context,
        "inputs": _joined_inputs(record["inputs"], site_inputs["inputs"]),
        "steps": {**site_inputs["steps"], **record["steps"]},
    }


def _joined_inputs(own: Mapping[str, Any], site: Mapping[str, Any]) -> dict[str, Any]:
    """FootprintInputs.to_record's document from a record's own part and its site's.
    Items and factors in both parts are listed once, the site's rows first (the engine
    orders them by key, not by row); one key with two different rows is an error."""
    joined: dict[str, Any] = {**site, **{name: own[name] for name in OWN_TABLES}}
    for name in _SHARED_KEYS:
        only_own = _own_only_rows(name, own[name], site[name])
        joined[name] = {
            column: [*values, *_rows_at(own[name][column], only_own)]
            for column, values in site[name].items()
        }
    return joined


def _own_only_rows(name: str, own: Mapping[str, Any], site: Mapping[str, Any]) -> list[int]:
    """Rows of a shared table in a record's own part that its site part lacks; checks
    that the rows in both are the same."""
    key = _SHARED_KEYS[name]
    site_row = {k: i for i, k in enumerate(site[key])}
    only_own: list[int] = []
    for i, k in enumerate(own[key]):
        j = site_row.get(k)
        if j is None:
            only_own.append(i)
        elif any(own[column][i] != site[column][j] for column in own):
            raise SiteInputsMismatch(f"{name} {k} differs between the two records")
    return only_own


def _rows_at(values: Sequence[Any], rows: Sequence[int]) -> list[Any]:
    return [values[i] for i in rows]


class StoredSiteInputs:
    """A stored site-inputs record: its text, sha256 and document, and the JSON of each
    of its parts, so a footprint's record joined with it is written by splicing those
    parts (``joined_record_json``) instead of serialising the site's data once more.
    Read only: one is shared by every footprint of a run."""

    def __init__(self, record_json: str) -> None:
        self.record_json = record_json
        self.sha256 = site_inputs_sha256(record_json)
        self.document: dict[str, Any] = json.loads(record_json)
        inputs = self.document["inputs"]
        self._json = {name: _compact(value) for name, value in self.document.items()}
        self._inputs_json = {
            name: _compact(value) for name, value in inputs.items() if name not in _SHARED_KEYS
        }
        self._columns_json = {
            name: {column: _compact(values) for column, values in inputs[name].items()}
            for name in _SHARED_KEYS
        }

    def joined_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """``joined_record(record, self.document)``, the text's hash computed once."""
        _check_site_inputs(record, self.sha256)
        return _joined(record, self.document)

    def joined_record_json(self, record: Mapping[str, Any]) -> str:
        """``canonical_json(self.joined_record(record))``, spliced from the parts' JSON;
        ``SiteInputsMismatch`` as there."""
        _check_site_inputs(record, self.sha256)
        site = self.document
        site_inputs = site["inputs"]
        inputs: dict[str, str] = {name: _compact(record["inputs"][name]) for name in OWN_TABLES}
        inputs.update(self._inputs_json)
        for name in _SHARED_KEYS:
            own = record["inputs"][name]
            only_own = _own_only_rows(name, own, site_inputs[name])
            inputs[name] = _object_json(
                {
                    column: _appended(text, _rows_at(own[column], only_own))
                    for column, text in self._columns_json[name].items()
                }
            )
        parts = {name: _compact(value) for name, value in record.items()}
        parts.update({name: self._json[name] for name in _SITE_CONTEXT if name in site})
        parts["inputs"] = _object_json(inputs)
        parts["steps"] = _compact({**site["steps"], **record["steps"]})
        return _object_json(parts)


def _compact(value: Any) -> str:
    return canonical_json(value)


def _object_json(members: Mapping[str, str]) -> str:
    """A JSON object from its members' JSON texts, keys sorted."""
    return "{" + ",".join(f"{_compact(k)}:{members[k]}" for k in sorted(members)) + "}"


def _appended(array_json: str, values: Sequence[Any]) -> str:
    """A JSON array's text with ``values`` appended."""
    if not values:
        return array_json
    more = _compact(list(values))[1:]
    return array_json[:-1] + ("," if array_json != "[]" else "") + more


def recompute_from_record(
    record: Mapping[str, Any],
    site_inputs: Mapping[str, Any] | None = None,
    site_inputs_json: str | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Recompute a footprint from its audit record (version 2: and the site-inputs record
    it names by sha256), with this code.

    Returns the recomputed result and the fields that differ from the recorded result
    (compared exactly, bit for bit; an empty list means the record reproduces).
    ``SiteInputsMismatch`` when the site inputs are not the ones the record names.
    """
    return recompute_joined(joined_record(record, site_inputs, site_inputs_json))


def recompute_joined(record: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``recompute_from_record`` of a record already joined with its site inputs
    (``joined_record``), or of a version 1 record."""
    # import here: the engine imports nothing from audit, and audit stays light to load
    from pcf.core.engine import FootprintCalculation

    calculation = FootprintCalculation(FootprintInputs.from_record(record["inputs"]))
    recomputed = footprint_summary(calculation.footprint(record["item_id"]))
    # compare through the canonical JSON, which writes floats with repr: equal text is
    # equal bits
    recorded = record["result"]
    differences = [
        name
        for name in sorted(set(recorded) | set(recomputed))
        if canonical_json(recorded.get(name)) != canonical_json(recomputed.get(name))
    ]
    return recomputed, differences
