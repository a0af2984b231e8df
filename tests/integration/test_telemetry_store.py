"""The PostgreSQL telemetry store: idempotent writes, canonical units, exact totals."""

from __future__ import annotations

import hashlib
import random
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pcf.adapters.postgres.telemetry_store import PostgresTelemetryStore
from pcf.core.telemetry import TelemetryStore, TelemetryWindow, WriteOutcome
from pcf.formats.definitions import MeterQuantity

pytestmark = pytest.mark.integration

JANUARY = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def window(
    minute: int,
    value: float = 1.0,
    *,
    meter_id: str = "M1-E",
    unit: str = "kWh",
    revision: int = 0,
    site_id: str = "S1",
    machine_id: str | None = "M1",
    quantity: MeterQuantity = MeterQuantity.ELECTRICITY,
    item_id: str | None = None,
) -> TelemetryWindow:
    start = JANUARY + timedelta(minutes=minute)
    return TelemetryWindow(
        site_id=site_id,
        machine_id=machine_id,
        meter_id=meter_id,
        quantity=quantity,
        item_id=item_id,
        window_start=start,
        window_end=start + timedelta(minutes=1),
        value=value,
        unit=unit,
        revision=revision,
        samples_received=60,
        samples_dropped=0,
    )


@pytest.fixture
def store(db: Engine) -> PostgresTelemetryStore:
    return PostgresTelemetryStore(db)


def total(store: TelemetryStore, meter_id: str = "M1-E") -> Decimal:
    (meter,) = [
        t
        for t in store.meter_period_totals("S1", JANUARY, JANUARY + HOUR)
        if t.meter_id == meter_id
    ]
    return meter.total


def test_the_store_implements_the_interface(store: PostgresTelemetryStore) -> None:
    implementation: TelemetryStore = store
    assert implementation.write_windows([]) == WriteOutcome(0, 0, 0)


def test_the_same_revision_again_changes_nothing(store: PostgresTelemetryStore) -> None:
    windows = [window(minute, 0.5) for minute in range(30)]

    first = store.write_windows(windows)
    before = total(store)
    again = store.write_windows(windows)

    assert first == WriteOutcome(inserted=30, replaced=0, ignored=0)
    assert again == WriteOutcome(inserted=0, replaced=0, ignored=30)
    assert total(store) == before == Decimal("15.0")


def test_a_higher_revision_replaces_and_a_lower_one_is_ignored(
    store: PostgresTelemetryStore,
) -> None:
    store.write_windows([window(0, 1.0, revision=1), window(1, 1.0, revision=1)])

    higher = store.write_windows([window(0, 3.0, revision=2)])
    lower = store.write_windows([window(1, 9.0, revision=0)])

    assert higher == WriteOutcome(inserted=0, replaced=1, ignored=0)
    assert lower == WriteOutcome(inserted=0, replaced=0, ignored=1)
    assert total(store) == Decimal("4.0")


def test_duplicates_within_one_batch_keep_the_highest_revision(
    store: PostgresTelemetryStore,
) -> None:
    rng = random.Random(7)
    originals = [window(minute, 1.0, meter_id=f"M{minute % 5}-E") for minute in range(1000)]
    # 10 % duplicates: half redelivered as they were, half a correction (revision 1).
    duplicated = rng.sample(range(1000), 100)
    corrected = set(duplicated[::2])
    duplicates = [
        window(minute, 5.0, meter_id=f"M{minute % 5}-E", revision=1)
        if minute in corrected
        else originals[minute]
        for minute in duplicated
    ]
    batch = originals + duplicates
    rng.shuffle(batch)

    outcome = store.write_windows(batch)

    assert outcome == WriteOutcome(inserted=1000, replaced=0, ignored=100)
    totals = store.meter_period_totals("S1", JANUARY, JANUARY + HOUR)
    first_hour = range(60)
    expected = sum(Decimal("5.0") if m in corrected else Decimal("1.0") for m in first_hour)
    assert sum((t.total for t in totals), Decimal(0)) == expected
    assert sum(t.windows_received for t in totals) == 60


def test_many_windows_in_one_call_are_counted_across_batches(
    store: PostgresTelemetryStore,
) -> None:
    windows = [window(minute, 0.25, meter_id=f"M{minute % 7}-E") for minute in range(20_000)]

    first = store.write_windows(windows)
    second = store.write_windows([replace_revision(w, 1) for w in windows[::2]])

    assert first == WriteOutcome(inserted=20_000, replaced=0, ignored=0)
    assert second == WriteOutcome(inserted=0, replaced=10_000, ignored=0)


def replace_revision(original: TelemetryWindow, revision: int) -> TelemetryWindow:
    return window(
        int((original.window_start - JANUARY).total_seconds() // 60),
        original.value,
        meter_id=original.meter_id,
        revision=revision,
    )


@pytest.mark.parametrize(
    ("unit", "value", "canonical_unit", "canonical_value"),
    [
        ("Wh", 1500.0, "kWh", Decimal("1.5")),
        ("MWh", 0.002, "kWh", Decimal("2.0")),
        ("ft3", 100.0, "m3", Decimal("2.8316846592")),
        ("g", 1234.5678, "kg", Decimal("1.2345678")),
        ("m3", 2.5, "m3", Decimal("2.5")),
    ],
)
def test_values_are_stored_in_the_canonical_unit(
    store: PostgresTelemetryStore,
    unit: str,
    value: float,
    canonical_unit: str,
    canonical_value: Decimal,
) -> None:
    quantity = {
        "kWh": MeterQuantity.ELECTRICITY,
        "m3": MeterQuantity.NATURAL_GAS,
        "kg": MeterQuantity.PRODUCTION_COUNT,
    }[canonical_unit]

    store.write_windows([window(0, value, unit=unit, quantity=quantity)])

    (meter,) = store.meter_period_totals("S1", JANUARY, JANUARY + HOUR)
    assert (meter.unit, meter.total) == (canonical_unit, canonical_value)


VALUES_WITH_EXPONENTS = [60.0, 1e-05, 1.5e-07, 1e16, 1.2345678901234568e17, 1e15, 0.0, 5e-324]


def test_values_are_stored_with_the_scale_of_their_repr(
    store: PostgresTelemetryStore, db: Engine
) -> None:
    """Each canonical value is stored as PostgreSQL reads its repr (60.0 keeps its
    scale of 1, 1e-05 is 0.00001, 1e+16 has scale 0), however the COPY text writes it."""
    store.write_windows([window(m, value) for m, value in enumerate(VALUES_WITH_EXPONENTS)])

    with db.connect() as connection:
        stored = connection.execute(
            text("SELECT value::text FROM telemetry_window ORDER BY window_start")
        ).scalars()
        expected = [
            connection.execute(
                text("SELECT CAST(:v AS numeric)::text"), {"v": repr(v)}
            ).scalar_one()
            for v in VALUES_WITH_EXPONENTS
        ]
    assert list(stored) == expected
    assert expected[:2] == ["60.0", "0.00001"]


def expected_hash(entries: list[str]) -> str:
    return hashlib.sha256(";".join(entries).encode("utf-8")).hexdigest()


def test_period_totals_completeness_and_windows_hash(store: PostgresTelemetryStore) -> None:
    missing = {5, 6, 7, 20, 21, 22, 23, 24, 40, 41, 42, 43, 50, 51, 59}
    received = [minute for minute in range(60) if minute not in missing]
    store.write_windows(
        [window(minute, 0.1) for minute in received]
        + [window(3, 0.2, revision=2)]  # replaces minute 3
        + [window(60, 7.0), window(-1, 7.0)]  # outside the period
        + [window(0, 7.0, site_id="S2", meter_id="S2-E")]  # another site
        + [
            window(
                minute,
                1.0,
                meter_id="M1-COUNT",
                quantity=MeterQuantity.PRODUCTION_COUNT,
                unit="piece",
                item_id="P-100",
            )
            for minute in range(60)
        ]
    )

    counter, electricity = store.meter_period_totals("S1", JANUARY, JANUARY + HOUR)

    # 45 windows of 0.1 kWh, one of them replaced by 0.2: an exact decimal sum.
    assert electricity.total == Decimal("4.6")
    assert (electricity.meter_id, electricity.machine_id, electricity.item_id) == (
        "M1-E",
        "M1",
        None,
    )
    assert electricity.quantity is MeterQuantity.ELECTRICITY
    assert electricity.windows_received == 45
    assert electricity.seconds_covered == 45 * 60
    assert electricity.period_seconds == 3600
    assert electricity.completeness == 0.75
    start = int(JANUARY.timestamp())
    assert electricity.windows_hash == expected_hash(
        [
            f"{start + 60 * m}:{start + 60 * m + 60}:{'0.2:2' if m == 3 else '0.1:0'}"
            for m in received
        ]
    )
    assert (counter.meter_id, counter.item_id, counter.unit) == ("M1-COUNT", "P-100", "piece")
    assert counter.total == Decimal("60.0")
    assert counter.completeness == 1.0


def test_the_documented_hash_recomputes_from_the_stored_windows(
    db: Engine, store: PostgresTelemetryStore
) -> None:
    store.write_windows(
        [window(m, v, unit="Wh") for m, v in enumerate([1234.5, 0.01, 1e-3, 3.3, 1e6])]
    )
    with db.connect() as connection:
        stored = connection.execute(
            text(
                "SELECT window_start, window_end, value, revision FROM telemetry_window "
                "ORDER BY window_start"
            )
        ).all()

    (meter,) = store.meter_period_totals("S1", JANUARY, JANUARY + HOUR)

    entries = [
        f"{start.timestamp():.0f}:{end.timestamp():.0f}:{format(value, 'f')}:{revision}"
        for start, end, value, revision in stored
    ]
    assert meter.windows_hash == expected_hash(entries)
    assert meter.total == sum((value for _, _, value, _ in stored), Decimal(0))


def test_concurrent_writers_keep_the_highest_revision(store: PostgresTelemetryStore) -> None:
    start = threading.Barrier(3)
    outcomes: list[WriteOutcome] = []

    def write(revision: int) -> None:
        windows = [window(minute, float(revision), revision=revision) for minute in range(60)]
        random.Random(revision).shuffle(windows)
        start.wait()
        outcomes.append(store.write_windows(windows))

    threads = [threading.Thread(target=write, args=(revision,)) for revision in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert total(store) == Decimal(60 * 3)
    assert sum(outcome.inserted for outcome in outcomes) == 60
    assert sum(o.inserted + o.replaced + o.ignored for o in outcomes) == 180


def test_naive_datetimes_are_refused(store: PostgresTelemetryStore) -> None:
    naive = window(0)
    naive = TelemetryWindow(**{**naive.__dict__, "window_start": datetime(2026, 1, 1)})

    with pytest.raises(ValueError, match="timezone-aware"):
        store.write_windows([naive])
