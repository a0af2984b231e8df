"""Register maps: where a meter's value sits in a Modbus device and how to decode it.

A register map entry names one value (a cumulative counter or an instantaneous rate) by
device id, first register address, data type, scale and word order. Decoding is pure: 16-bit
registers in, a number in the meter's unit out. Bytes inside a register are always
big-endian (the Modbus standard); the word order says which register of a 32- or 64-bit value
comes first.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pcf.edge.readings import ReadingKind

# The most registers one Read Holding Registers request may ask for (Modbus spec: 125).
MAX_REGISTERS_PER_REQUEST = 125


class RegisterType(StrEnum):
    UINT16 = "uint16"
    INT16 = "int16"
    UINT32 = "uint32"
    INT32 = "int32"
    UINT64 = "uint64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"


class WordOrder(StrEnum):
    BIG = "big"  # most significant register first (the usual "ABCD")
    LITTLE = "little"  # least significant register first ("CDAB")


# struct format character and number of 16-bit registers of each type
_LAYOUT: dict[RegisterType, tuple[str, int]] = {
    RegisterType.UINT16: ("H", 1),
    RegisterType.INT16: ("h", 1),
    RegisterType.UINT32: ("I", 2),
    RegisterType.INT32: ("i", 2),
    RegisterType.UINT64: ("Q", 4),
    RegisterType.FLOAT32: ("f", 2),
    RegisterType.FLOAT64: ("d", 4),
}
_UNSIGNED = frozenset({RegisterType.UINT16, RegisterType.UINT32, RegisterType.UINT64})


def register_count(data_type: RegisterType) -> int:
    """How many 16-bit registers a value of ``data_type`` occupies."""
    return _LAYOUT[data_type][1]


def counter_modulus(data_type: RegisterType) -> int | None:
    """The raw value at which an unsigned counter wraps to zero (2**bits); None for signed and
    floating-point types, which do not roll over cleanly."""
    if data_type not in _UNSIGNED:
        return None
    return 1 << (16 * register_count(data_type))


def decode_registers(
    registers: Sequence[int], data_type: RegisterType, word_order: WordOrder = WordOrder.BIG
) -> int | float:
    """The raw (unscaled) value held in ``registers``, each a 16-bit unsigned word as read
    from the device, in device order."""
    fmt, count = _LAYOUT[data_type]
    if len(registers) != count:
        raise ValueError(f"a {data_type} value takes {count} registers, got {len(registers)}")
    for register in registers:
        if not 0 <= register <= 0xFFFF:
            raise ValueError(f"register value {register} is not a 16-bit word (0 to 65535)")
    words = list(registers) if word_order is WordOrder.BIG else list(reversed(registers))
    value: int | float = struct.unpack(f">{fmt}", struct.pack(f">{count}H", *words))[0]
    return value


def encode_registers(
    raw: int | float, data_type: RegisterType, word_order: WordOrder = WordOrder.BIG
) -> list[int]:
    """The registers a device holds for the raw value ``raw``: the inverse of
    :func:`decode_registers`."""
    fmt, count = _LAYOUT[data_type]
    try:
        packed = struct.pack(f">{fmt}", raw)
    except struct.error as error:
        raise ValueError(f"{raw!r} does not fit a {data_type}: {error}") from error
    words = list(struct.unpack(f">{count}H", packed))
    return words if word_order is WordOrder.BIG else list(reversed(words))


class RegisterEntry(BaseModel):
    """One meter value in a Modbus device: a holding-register block and how to read it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    meter_id: str = Field(min_length=1)
    unit_id: int = Field(ge=0, le=255, description="Modbus device id (unit identifier).")
    address: int = Field(ge=0, le=0xFFFF, description="First holding register, 0-based.")
    data_type: RegisterType
    scale: float = Field(
        default=1.0, description="Multiplier from the raw value to the meter's unit."
    )
    word_order: WordOrder = WordOrder.BIG
    kind: ReadingKind = ReadingKind.COUNTER

    @field_validator("scale")
    @classmethod
    def _usable_scale(cls, scale: float) -> float:
        if not math.isfinite(scale) or scale <= 0:
            raise ValueError("must be a finite number > 0")
        return scale

    @model_validator(mode="after")
    def _fits_address_space(self) -> Self:
        last = self.address + self.register_count - 1
        if last > 0xFFFF:
            raise ValueError(
                f"a {self.data_type} at address {self.address} ends at {last}, "
                "beyond the last register 65535"
            )
        return self

    @property
    def register_count(self) -> int:
        return register_count(self.data_type)

    @property
    def end_address(self) -> int:
        """One past the last register of this entry."""
        return self.address + self.register_count

    @property
    def rollover_span(self) -> float | None:
        """For an unsigned counter: the amount, in the meter's unit, after which the counter
        wraps to zero (2**bits x scale); None when the type does not roll over cleanly."""
        modulus = counter_modulus(self.data_type)
        return None if modulus is None else modulus * self.scale

    def decode(self, registers: Sequence[int]) -> float:
        """The value in the meter's unit (raw value x scale) from this entry's registers."""
        return float(decode_registers(registers, self.data_type, self.word_order)) * self.scale


@dataclass(frozen=True)
class RegisterBlock:
    """Registers of one device fetched in one request, and the entries they hold."""

    unit_id: int
    address: int
    count: int
    entries: tuple[RegisterEntry, ...]

    def registers_of(self, entry: RegisterEntry, registers: Sequence[int]) -> Sequence[int]:
        """The slice of this block's ``registers`` that holds ``entry``."""
        offset = entry.address - self.address
        return registers[offset : offset + entry.register_count]


def plan_requests(
    entries: Sequence[RegisterEntry],
    *,
    max_registers: int = MAX_REGISTERS_PER_REQUEST,
    max_gap: int = 0,
) -> list[RegisterBlock]:
    """Group entries into as few read requests as possible: entries of the same device whose
    registers are contiguous (or at most ``max_gap`` registers apart, read and ignored) share
    one request of at most ``max_registers`` registers. Blocks are ordered by device, then
    address. The default ``max_gap`` of 0 never reads a register outside the map, since many
    devices answer such a request with an illegal-address error."""
    if max_registers < 1 or max_gap < 0:
        raise ValueError("max_registers must be >= 1 and max_gap >= 0")
    blocks: list[RegisterBlock] = []
    ordered = sorted(entries, key=lambda entry: (entry.unit_id, entry.address, entry.meter_id))
    current: list[RegisterEntry] = []
    start = end = 0
    for entry in ordered:
        fits = (
            current
            and entry.unit_id == current[0].unit_id
            and entry.address <= end + max_gap
            and max(end, entry.end_address) - start <= max_registers
        )
        if fits:
            current.append(entry)
            end = max(end, entry.end_address)
            continue
        if current:
            blocks.append(RegisterBlock(current[0].unit_id, start, end - start, tuple(current)))
        current, start, end = [entry], entry.address, entry.end_address
    if current:
        blocks.append(RegisterBlock(current[0].unit_id, start, end - start, tuple(current)))
    return blocks
