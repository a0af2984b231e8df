"""The telemetry window record on the wire: what the edge component sends through Stream
Manager and Kinesis, and what the ingest handler accepts.

One JSON object per window, with exactly the columns of the ``telemetry_windows`` format
(``pcf.formats.definitions.TELEMETRY_WINDOWS``; a test keeps the two equal). Timestamps are
ISO 8601 with an offset; the edge writes UTC.
"""

from __future__ import annotations

import math
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from pcf.core.telemetry import TelemetryWindow
from pcf.core.units import Dimension, UnitError, dimension_of
from pcf.formats.definitions import MeterQuantity

# The largest revision or sample count: the stores keep them as 32-bit integers, so a
# larger one is refused here, as malformed, rather than failing every store write.
MAX_COUNT = 2**31 - 1

# Which units a meter of each quantity may report in.
QUANTITY_DIMENSIONS: dict[MeterQuantity, tuple[Dimension, ...]] = {
    MeterQuantity.ELECTRICITY: (Dimension.ENERGY,),
    MeterQuantity.NATURAL_GAS: (Dimension.ENERGY, Dimension.VOLUME),
    MeterQuantity.PRODUCTION_COUNT: (Dimension.PIECE, Dimension.MASS),
}


class TelemetryWindowRecord(BaseModel):
    """One meter's amount in one wall-clock window, as sent by the edge."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site_id: str = Field(min_length=1)
    machine_id: str | None = None
    meter_id: str = Field(min_length=1)
    quantity: MeterQuantity
    item_id: str | None = None
    window_start: AwareDatetime
    window_end: AwareDatetime
    value: float = Field(ge=0)
    unit: str
    revision: int = Field(ge=0, le=MAX_COUNT)
    samples_received: int = Field(ge=0, le=MAX_COUNT)
    samples_dropped: int = Field(ge=0, le=MAX_COUNT)

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str) -> str:
        try:
            dimension_of(unit)
        except UnitError as error:
            raise ValueError(str(error)) from error
        return unit

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        if self.samples_dropped > self.samples_received:
            raise ValueError("samples_dropped cannot exceed samples_received")
        allowed = QUANTITY_DIMENSIONS[self.quantity]
        if dimension_of(self.unit) not in allowed:
            raise ValueError(
                f'unit "{self.unit}" is {dimension_of(self.unit)}; a {self.quantity} meter '
                f"reports {' or '.join(allowed)}"
            )
        if self.quantity is MeterQuantity.PRODUCTION_COUNT and not self.item_id:
            raise ValueError("a production_count window names the item it counts")
        return self

    def to_window(self) -> TelemetryWindow:
        return TelemetryWindow(**self.model_dump())

    @classmethod
    def from_window(cls, window: TelemetryWindow) -> TelemetryWindowRecord:
        return cls.model_validate(window, from_attributes=True)

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")
