"""Audit records and their hash chain.

A record is a JSON document (every input of a footprint with its dataset version, the
method settings, the steps and the result). Records form one chain: each record's hash
covers its canonical JSON and the previous record's hash, so changing or removing any
record breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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
