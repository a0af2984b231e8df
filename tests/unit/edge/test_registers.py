"""Register maps: decoding hand-made register values, validation, request planning."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from pcf.edge.readings import ReadingKind
from pcf.edge.sources.registers import (
    RegisterEntry,
    RegisterType,
    WordOrder,
    counter_modulus,
    decode_registers,
    encode_registers,
    plan_requests,
)


def entry(
    meter_id: str = "M1-E",
    *,
    unit_id: int = 1,
    address: int = 0,
    data_type: RegisterType = RegisterType.UINT32,
    scale: float = 1.0,
    word_order: WordOrder = WordOrder.BIG,
) -> RegisterEntry:
    return RegisterEntry(
        meter_id=meter_id,
        unit_id=unit_id,
        address=address,
        data_type=data_type,
        scale=scale,
        word_order=word_order,
    )


@pytest.mark.parametrize(
    ("registers", "data_type", "word_order", "expected"),
    [
        ([0x0001, 0x86A0], RegisterType.UINT32, WordOrder.BIG, 100_000),
        ([0x86A0, 0x0001], RegisterType.UINT32, WordOrder.LITTLE, 100_000),
        ([0x0001, 0x86A0], RegisterType.UINT32, WordOrder.LITTLE, 0x86A0_0001),
        ([0xFFFF, 0xFFFF], RegisterType.UINT32, WordOrder.BIG, 2**32 - 1),
        ([0xFFFF, 0xFFFE], RegisterType.INT32, WordOrder.BIG, -2),
        ([0x1234], RegisterType.UINT16, WordOrder.BIG, 0x1234),
        ([0xFFFF], RegisterType.INT16, WordOrder.BIG, -1),
        ([0xFFFF], RegisterType.UINT16, WordOrder.LITTLE, 65_535),
        ([0x0000, 0x0000, 0x0001, 0x0000], RegisterType.UINT64, WordOrder.BIG, 65_536),
        ([0x0000, 0x0000, 0x0001, 0x0000], RegisterType.UINT64, WordOrder.LITTLE, 2**32),
        ([0x3FC0, 0x0000], RegisterType.FLOAT32, WordOrder.BIG, 1.5),
        ([0x0000, 0x3FC0], RegisterType.FLOAT32, WordOrder.LITTLE, 1.5),
        ([0xC2F7, 0x0000], RegisterType.FLOAT32, WordOrder.BIG, -123.5),
        ([0x4059, 0x0000, 0x0000, 0x0000], RegisterType.FLOAT64, WordOrder.BIG, 100.0),
        ([0x0000, 0x0000, 0x0000, 0x4059], RegisterType.FLOAT64, WordOrder.LITTLE, 100.0),
    ],
)
def test_decode_hand_made_registers(
    registers: list[int], data_type: RegisterType, word_order: WordOrder, expected: float
) -> None:
    # When
    value = decode_registers(registers, data_type, word_order)

    # Then
    assert value == expected


def test_scale_turns_the_raw_counter_into_the_meters_unit() -> None:
    # Given a kWh counter in hundredths of a kWh
    kwh = entry(scale=0.01)

    # When / Then: 100000 hundredths are 1000 kWh
    assert kwh.decode([0x0001, 0x86A0]) == pytest.approx(1000.0)
    assert entry(scale=0.01, word_order=WordOrder.LITTLE).decode([0x86A0, 0x0001]) == (
        pytest.approx(1000.0)
    )


def test_float32_power_reads_with_scale() -> None:
    # Given active power in W as float32, scaled to kW
    power = entry("M1-E/power", data_type=RegisterType.FLOAT32, scale=0.001)

    # When / Then: 12345.5 W
    assert power.decode(encode_registers(12_345.5, RegisterType.FLOAT32)) == pytest.approx(12.3455)


def test_a_nan_float_decodes_as_nan_for_the_source_to_drop() -> None:
    assert math.isnan(decode_registers([0x7FC0, 0x0000], RegisterType.FLOAT32))


@pytest.mark.parametrize("data_type", list(RegisterType))
@pytest.mark.parametrize("word_order", list(WordOrder))
def test_encode_is_the_inverse_of_decode(data_type: RegisterType, word_order: WordOrder) -> None:
    # Given a value every type can hold exactly
    raw: int | float = 1.25 if data_type.startswith("float") else 12_345

    # When
    registers = encode_registers(raw, data_type, word_order)

    # Then
    assert all(0 <= word <= 0xFFFF for word in registers)
    assert decode_registers(registers, data_type, word_order) == raw


@pytest.mark.parametrize(
    ("data_type", "pymodbus_name"),
    [
        (RegisterType.UINT16, "UINT16"),
        (RegisterType.INT16, "INT16"),
        (RegisterType.UINT32, "UINT32"),
        (RegisterType.INT32, "INT32"),
        (RegisterType.UINT64, "UINT64"),
        (RegisterType.FLOAT32, "FLOAT32"),
        (RegisterType.FLOAT64, "FLOAT64"),
    ],
)
@pytest.mark.parametrize("word_order", list(WordOrder))
def test_decoding_agrees_with_pymodbus(
    data_type: RegisterType, pymodbus_name: str, word_order: WordOrder
) -> None:
    client = pytest.importorskip("pymodbus.client").ModbusTcpClient
    # Given the same words
    registers = [0xC2F7, 0x1234, 0x8001, 0x00FF][: len(encode_registers(0, data_type))]

    # When
    ours = decode_registers(registers, data_type, word_order)
    theirs = client.convert_from_registers(
        registers, getattr(client.DATATYPE, pymodbus_name), word_order=word_order.value
    )

    # Then
    assert ours == theirs


def test_wrong_number_of_registers_is_an_error() -> None:
    with pytest.raises(ValueError, match="a uint32 value takes 2 registers, got 1"):
        decode_registers([1], RegisterType.UINT32)


def test_a_register_beyond_16_bits_is_an_error() -> None:
    with pytest.raises(ValueError, match="65536 is not a 16-bit word"):
        decode_registers([0x1_0000], RegisterType.UINT16)


def test_a_value_that_does_not_fit_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="does not fit a uint16"):
        encode_registers(70_000, RegisterType.UINT16)


def test_entry_parses_from_configuration() -> None:
    # Given the register map as it stands in the component's configuration
    configured = {
        "meter_id": "M2-G",
        "unit_id": 3,
        "address": 100,
        "data_type": "uint32",
        "scale": 0.01,
        "word_order": "little",
        "kind": "counter",
    }

    # When
    parsed = RegisterEntry.model_validate(configured)

    # Then
    assert parsed.data_type is RegisterType.UINT32
    assert parsed.word_order is WordOrder.LITTLE
    assert parsed.kind is ReadingKind.COUNTER
    assert parsed.register_count == 2
    assert parsed.end_address == 102
    assert parsed.model_dump(mode="json") == configured


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scale": 0}, "must be a finite number > 0"),
        ({"scale": float("nan")}, "must be a finite number > 0"),
        ({"unit_id": 256}, "less than or equal to 255"),
        ({"address": -1}, "greater than or equal to 0"),
        ({"address": 65_535}, "ends at 65536, beyond the last register 65535"),
        ({"data_type": "int8"}, "Input should be"),
        ({"word_order": "middle"}, "Input should be 'big' or 'little'"),
        ({"meter_id": ""}, "at least 1 character"),
        ({"registers": 2}, "Extra inputs are not permitted"),
    ],
)
def test_entry_rejects_what_cannot_be_read(change: dict[str, object], message: str) -> None:
    configured: dict[str, object] = {
        "meter_id": "M1-E",
        "unit_id": 1,
        "address": 0,
        "data_type": "uint32",
    }
    with pytest.raises(ValidationError, match=message):
        RegisterEntry.model_validate(configured | change)


def test_rollover_span_of_unsigned_counters() -> None:
    assert counter_modulus(RegisterType.UINT16) == 2**16
    assert counter_modulus(RegisterType.UINT64) == 2**64
    assert counter_modulus(RegisterType.INT32) is None
    assert entry(scale=0.01).rollover_span == pytest.approx(42_949_672.96)
    assert entry(data_type=RegisterType.FLOAT32).rollover_span is None


def test_contiguous_registers_of_one_device_share_a_request() -> None:
    # Given kWh and kW side by side on device 1, two piece counters on the PLC, and a meter
    # on device 1 far away from the others
    entries = [
        entry("M1-P", unit_id=10, address=0),
        entry("M1-E/power", unit_id=1, address=2, data_type=RegisterType.FLOAT32),
        entry("M1-E", unit_id=1, address=0),
        entry("M2-P", unit_id=10, address=2),
        entry("M1-E/extra", unit_id=1, address=40, data_type=RegisterType.UINT16),
    ]

    # When
    blocks = plan_requests(entries)

    # Then
    assert [(b.unit_id, b.address, b.count) for b in blocks] == [(1, 0, 4), (1, 40, 1), (10, 0, 4)]
    assert [e.meter_id for e in blocks[0].entries] == ["M1-E", "M1-E/power"]
    assert blocks[0].registers_of(blocks[0].entries[1], [1, 2, 3, 4]) == [3, 4]


def test_a_gap_splits_requests_unless_allowed() -> None:
    entries = [entry("A", address=0), entry("B", address=3)]

    assert [(b.address, b.count) for b in plan_requests(entries)] == [(0, 2), (3, 2)]
    assert [(b.address, b.count) for b in plan_requests(entries, max_gap=1)] == [(0, 5)]


def test_requests_stay_within_the_register_limit() -> None:
    # Given 100 uint32 counters side by side: 200 registers
    entries = [entry(f"C{i}", address=2 * i) for i in range(100)]

    # When
    blocks = plan_requests(entries)

    # Then
    assert [(b.address, b.count) for b in blocks] == [(0, 124), (124, 76)]
    assert sum(len(b.entries) for b in blocks) == 100
