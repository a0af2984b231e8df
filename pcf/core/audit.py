"""Audit records and their hash chain.

A record is a JSON document (every input of a footprint with its dataset version, the
method settings, the steps and the result). Records form one chain: each record's hash
covers its canonical JSON and the previous record's hash, so changing or removing any
record breaks every hash after it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

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

AUDIT_RECORD_VERSION = 1


def footprint_summary(footprint: ItemFootprint) -> dict[str, Any]:
    """The numbers of a footprint as they stand in its audit record."""
    summary = dataclasses.asdict(footprint)
    summary["by_source"] = [
        {**dataclasses.asdict(s), "category": s.category.value} for s in footprint.by_source
    ]
    summary["notes"] = list(footprint.notes)
    summary["gwp_sets"] = list(footprint.gwp_sets)
    return summary


def footprint_audit_record(
    calculation: FootprintCalculation,
    footprint: ItemFootprint,
    context: Mapping[str, Any],
) -> dict[str, Any]:
    """One footprint's audit record: the inputs that determine it (its own BOM sub-graph
    and the site's energy and production data, each row with its dataset version), the
    intermediate steps, and the result. ``context`` adds what the engine does not know:
    run id, site, period, dataset versions, telemetry totals with window hashes."""
    inputs = _inputs_for(calculation, footprint)
    factors = calculation.energy_factors
    return {
        "record_version": AUDIT_RECORD_VERSION,
        "item_id": footprint.item_id,
        **context,
        "method": {
            "settings": dataclasses.asdict(inputs.settings),
            "categories": ["materials", "purchased_parts", "electricity", "natural_gas"],
        },
        "inputs": inputs.to_record(),
        "steps": {
            "electricity_location_kg_per_kwh": factors.electricity_location_kg_per_kwh,
            "electricity_market_kg_per_kwh": factors.electricity_market_kg_per_kwh,
            "electricity_method": factors.electricity_method.value,
            "natural_gas_kg_per_kwh": factors.natural_gas_kg_per_kwh,
            "natural_gas_kwh_per_m3": factors.natural_gas_kwh_per_m3,
            "exploded_items": footprint.exploded_items,
        },
        "result": footprint_summary(footprint),
    }


def _inputs_for(calculation: FootprintCalculation, footprint: ItemFootprint) -> FootprintInputs:
    """The calculation's inputs cut down to what ``footprint`` depends on: its BOM
    sub-graph and factors, and all of the site's energy and production data (allocation
    shares every meter over every unit produced at the site)."""
    inputs = calculation.inputs
    below = {footprint.item_id, *footprint.exploded_items}
    produced = set(np.asarray(inputs.production.item_id, dtype=str).tolist())
    keep_items = np.isin(np.asarray(inputs.items.item_id, dtype=str), sorted(below | produced))
    keep_bom = np.isin(np.asarray(inputs.bom.parent_item_id, dtype=str), sorted(below))
    mapping_rows = np.isin(np.asarray(inputs.factor_mapping.item_id, dtype=str), sorted(below))
    mapped_factors = set(np.asarray(inputs.factor_mapping.factor_id, dtype=str)[mapping_rows])
    gas = {inputs.site.gas_factor_id, inputs.site.gas_upstream_factor_id} - {None}
    factor_rows = np.isin(
        np.asarray(inputs.emission_factors.factor_id, dtype=str), sorted(mapped_factors | gas)
    )
    supplier_rows = np.isin(
        np.asarray(inputs.supplier_footprints.item_id, dtype=str), sorted(below)
    )
    return dataclasses.replace(
        inputs,
        items=inputs.items.take(keep_items),
        bom=inputs.bom.take(keep_bom),
        emission_factors=inputs.emission_factors.take(factor_rows),
        factor_mapping=inputs.factor_mapping.take(mapping_rows),
        supplier_footprints=inputs.supplier_footprints.take(supplier_rows),
    )


def recompute_from_record(record: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Recompute a footprint from its audit record alone, with this code.

    Returns the recomputed result and the fields that differ from the recorded result
    (compared exactly, bit for bit; an empty list means the record reproduces).
    """
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
