"""What a meter source hands to edge processing: raw readings, one per meter per poll."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class ReadingKind(StrEnum):
    # a cumulative register that only grows (kWh, m3, pieces), until it rolls over at its
    # maximum or the meter is reset
    COUNTER = "counter"
    # an instantaneous rate (active power in kW): informative, never summed into energy
    RATE = "rate"


@dataclass(frozen=True)
class MeterReading:
    meter_id: str
    timestamp: float  # seconds since the epoch (UTC) at which the value was read
    value: float  # after the register map's scale, in the meter's unit
    kind: ReadingKind = ReadingKind.COUNTER


class MeterSource(Protocol):
    """Anything that reads meters: Modbus TCP today, MQTT or OPC UA tomorrow."""

    def read(self) -> Sequence[MeterReading]:
        """One poll: a reading per configured meter that answered. A meter that did not
        answer is absent (a gap), never a zero."""
        ...

    def close(self) -> None: ...
