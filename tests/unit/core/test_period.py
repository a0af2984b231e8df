from datetime import UTC, datetime

import pytest

from pcf.core.period import month_period


def test_month_in_the_site_time_zone() -> None:
    # January 2026 in Berlin starts at 23:00 UTC on 31 December (UTC+1)
    period = month_period("2026-01", "Europe/Berlin")
    assert period.start.astimezone(UTC) == datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert period.end.astimezone(UTC) == datetime(2026, 1, 31, 23, tzinfo=UTC)
    assert period.seconds == 31 * 86400


def test_a_month_with_a_clock_change_is_an_hour_short() -> None:
    # Berlin springs forward on 29 March 2026
    assert month_period("2026-03", "Europe/Berlin").seconds == 31 * 86400 - 3600


def test_december_rolls_into_the_next_year() -> None:
    period = month_period("2026-12", "America/Chicago")
    assert period.end.year == 2027 and period.end.month == 1


def test_bad_label() -> None:
    with pytest.raises(ValueError, match='"2026-13" is not a month'):
        month_period("2026-13", "UTC")
