"""Modbus TCP meter source: polls holding registers through pymodbus.

One source talks to one Modbus TCP endpoint (a meter, a PLC, or a gateway in front of an
RS-485 line of devices told apart by their unit id). A poll reads every register map entry,
sharing one request between entries whose registers are contiguous on the same device, and
returns a reading for every entry that answered. What did not answer is absent from the
poll and logged, never reported as zero. A dropped connection is re-opened on the next
request, so a restarted gateway comes back without restarting the edge.

Other protocols: ``pcf.edge.readings.MeterSource`` is the seam; the edge component only
calls ``read()`` and ``close()``. An MQTT source is a new class (say ``MqttSource`` in
``sources/mqtt.py``) that subscribes to the meters' topics, keeps the last value per meter
with its timestamp, and hands out in ``read()`` the values that arrived since the previous
poll; an OPC UA source reads the configured node ids in one Read service call and maps a
bad status code to an absent meter. Both reuse ``MeterReading`` and ``ReadingKind``, and
neither touches this module or the processing after it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException

from pcf.edge.readings import MeterReading
from pcf.edge.sources.registers import RegisterBlock, RegisterEntry, plan_requests

logger = logging.getLogger(__name__)

# Exception codes after which a multi-entry request is retried entry by entry: the device
# is there but one of the addresses is not, which should not hide the neighbouring meters.
_ILLEGAL_ADDRESS = 0x02
_ILLEGAL_DATA_VALUE = 0x03


class ModbusTcpSource:
    """Reads the meters of ``register_map`` from the Modbus TCP server at ``host:port``.

    ``timeout`` bounds connecting and each request, in seconds; ``retries`` is how often a
    request that got no answer is sent again before the meter counts as silent. ``clock``
    stamps each reading (seconds since the epoch, UTC) when its response arrived.
    """

    def __init__(
        self,
        host: str,
        port: int = 502,
        register_map: Sequence[RegisterEntry] = (),
        timeout: float = 1.0,
        clock: Callable[[], float] = time.time,
        *,
        retries: int = 0,
        max_block_registers: int = 125,
    ) -> None:
        meter_ids = [entry.meter_id for entry in register_map]
        duplicates = sorted({meter for meter in meter_ids if meter_ids.count(meter) > 1})
        if duplicates:
            raise ValueError(f"register map lists meter(s) twice: {', '.join(duplicates)}")
        if timeout <= 0:
            raise ValueError("timeout must be > 0 seconds")
        self.host = host
        self.port = port
        self.register_map = tuple(register_map)
        self._clock = clock
        self._blocks = plan_requests(self.register_map, max_registers=max_block_registers)
        self._client = ModbusTcpClient(host, port=port, timeout=timeout, retries=retries)

    def read(self) -> Sequence[MeterReading]:
        """One poll: a reading per entry that answered, in register map order."""
        by_meter: dict[str, MeterReading] = {}
        for index, block in enumerate(self._blocks):
            try:
                by_meter.update(self._read_block_reconnecting(block))
            except ConnectionException as error:
                # the endpoint is gone: every further request would wait for the same timeout
                absent = [entry.meter_id for rest in self._blocks[index:] for entry in rest.entries]
                logger.warning(
                    "Modbus %s:%d unreachable (%s); no reading from %s",
                    self.host,
                    self.port,
                    error,
                    ", ".join(absent),
                )
                self._drop_connection()
                break
        return [
            by_meter[entry.meter_id] for entry in self.register_map if entry.meter_id in by_meter
        ]

    def close(self) -> None:
        self._drop_connection()

    def _drop_connection(self) -> None:
        # the next request reconnects (pymodbus' sync client connects on demand)
        self._client.close()  # type: ignore[no-untyped-call]  # pymodbus leaves it untyped

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _read_block_reconnecting(self, block: RegisterBlock) -> dict[str, MeterReading]:
        try:
            return self._read_block(block)
        except ConnectionException:
            # a connection the server dropped since the last poll (a restarted gateway) only
            # shows when it is used: try once more on a fresh one
            self._drop_connection()
            return self._read_block(block)

    def _read_block(self, block: RegisterBlock) -> dict[str, MeterReading]:
        """Readings of one block's entries; raises ConnectionException when the endpoint
        cannot be reached, logs and returns nothing for a device that failed to answer."""
        meters = ", ".join(entry.meter_id for entry in block.entries)
        try:
            response = self._client.read_holding_registers(
                block.address, count=block.count, device_id=block.unit_id
            )
        except ConnectionException:
            raise
        except (ModbusException, OSError) as error:
            # no (valid) answer: drop the connection so a late response cannot be taken for
            # the answer to the next request; the next request reconnects
            logger.warning(
                "Modbus device %d at %s:%d did not answer (%s); no reading from %s",
                block.unit_id,
                self.host,
                self.port,
                error,
                meters,
            )
            self._drop_connection()
            return {}
        timestamp = self._clock()
        if response.isError():
            code = getattr(response, "exception_code", 0)
            if len(block.entries) > 1 and code in (_ILLEGAL_ADDRESS, _ILLEGAL_DATA_VALUE):
                readings: dict[str, MeterReading] = {}
                for entry in block.entries:
                    single = RegisterBlock(
                        entry.unit_id, entry.address, entry.register_count, (entry,)
                    )
                    readings.update(self._read_block(single))
                return readings
            logger.warning(
                "Modbus device %d at %s:%d answered exception code %d to registers %d-%d; "
                "no reading from %s",
                block.unit_id,
                self.host,
                self.port,
                code,
                block.address,
                block.address + block.count - 1,
                meters,
            )
            return {}
        registers: list[int] = list(response.registers)
        if len(registers) < block.count:
            logger.warning(
                "Modbus device %d answered %d of %d registers; no reading from %s",
                block.unit_id,
                len(registers),
                block.count,
                meters,
            )
            return {}
        readings = {}
        for entry in block.entries:
            value = entry.decode(block.registers_of(entry, registers))
            if not math.isfinite(value):
                logger.warning("meter %s read a non-finite value; dropped", entry.meter_id)
                continue
            readings[entry.meter_id] = MeterReading(entry.meter_id, timestamp, value, entry.kind)
        return readings
