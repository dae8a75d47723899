"""Business-time arithmetic: golden cases from reference/sla.md and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.sla_config import CalendarConfig, HolidaySource
from services.sla.business_time import Calendar, NeverOpen, due, elapsed, next_open
from services.sla.calendars import build_calendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)


def local(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    """As UTC: PEP 495 makes inter-zone == False for a time in a fold."""
    return datetime(*parts, tzinfo=zone).replace(fold=fold).astimezone(UTC)  # type: ignore[arg-type,misc]


def office(zone: str = "Europe/Berlin", **extra: object) -> Calendar:
    days = {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    return build_calendar(
        CalendarConfig.model_validate({"time_zone": zone, "hours": days, **extra})
    )


def test_always_open_across_dst_counts_real_hours() -> None:
    for zone, day, expected in [
        (BERLIN, (2026, 3, 29), "2026-03-29T04:30:00+02:00"),
        (BERLIN, (2026, 10, 25), "2026-10-25T02:30:00+01:00"),
        (NEW_YORK, (2026, 3, 8), "2026-03-08T04:30:00-04:00"),
        (NEW_YORK, (2026, 11, 1), "2026-11-01T02:30:00-05:00"),
    ]:
        cal = Calendar.always_open(str(zone))
        got = due(cal, local(zone, *day, 0, 30), 3 * H)
        assert got.astimezone(zone).isoformat() == expected


@pytest.mark.parametrize(
    ("zone", "spring", "autumn"),
    [
        (BERLIN, date(2026, 3, 29), date(2026, 10, 25)),
        (NEW_YORK, date(2026, 3, 8), date(2026, 11, 1)),
    ],
)
def test_windows_on_dst_days(zone: ZoneInfo, spring: date, autumn: date) -> None:
    sunday = build_calendar(CalendarConfig(time_zone=str(zone), hours={"sun": ["01:00-05:00"]}))
    night = build_calendar(CalendarConfig(time_zone=str(zone), hours={"sat": ["22:00-06:00"]}))
    for day, short, long in [(spring, 3 * H, 7 * H), (autumn, 5 * H, 9 * H)]:
        noon = local(zone, day.year, day.month, day.day, 12)
        span = (noon - timedelta(days=2), noon + timedelta(days=1))
        assert elapsed(sunday, *span) == short
        assert elapsed(night, *span) == long


def test_window_boundary_in_a_gap_moves_to_the_gap_end() -> None:
    cal = build_calendar(CalendarConfig(time_zone="Europe/Berlin", hours={"sun": ["02:30-04:00"]}))
    start = local(BERLIN, 2026, 3, 28, 12)
    assert next_open(cal, start) == local(BERLIN, 2026, 3, 29, 3, 0)
    assert due(cal, start, 1 * H) == local(BERLIN, 2026, 3, 29, 4, 0)


def test_weekend_and_leap_day() -> None:
    cal = office()
    assert due(cal, local(BERLIN, 2028, 2, 25, 16), 16 * H) == local(BERLIN, 2028, 2, 29, 16)
    assert due(cal, local(BERLIN, 2026, 11, 27, 16), 2 * H) == local(BERLIN, 2026, 11, 30, 10)
    # Started in closed time: the clock starts at the next opening.
    assert due(cal, local(BERLIN, 2026, 11, 28, 12), 1 * H) == local(BERLIN, 2026, 11, 30, 10)
    assert elapsed(cal, local(BERLIN, 2026, 11, 27, 16), local(BERLIN, 2026, 11, 30, 10)) == 2 * H


def test_overnight_shift_belongs_to_the_day_it_starts() -> None:
    cal = build_calendar(
        CalendarConfig(time_zone="America/New_York", hours={"mon": ["22:00-06:00"]})
    )
    assert due(cal, local(NEW_YORK, 2026, 11, 30, 23), 3 * H) == local(NEW_YORK, 2026, 12, 1, 2)
    # Tuesday night is closed: 7 h from Monday 23:00 runs to next Monday night.
    assert due(cal, local(NEW_YORK, 2026, 11, 30, 23), 8 * H) == local(NEW_YORK, 2026, 12, 7, 23)
    assert elapsed(cal, local(NEW_YORK, 2026, 12, 1, 1), local(NEW_YORK, 2026, 12, 1, 12)) == 5 * H


def test_split_shifts() -> None:
    cal = build_calendar(
        CalendarConfig(time_zone="Europe/Berlin", hours={"mon": ["09:00-12:00", "13:00-17:00"]})
    )
    monday = (2026, 11, 30)
    assert due(cal, local(BERLIN, *monday, 11), 2 * H) == local(BERLIN, *monday, 14)
    assert elapsed(cal, local(BERLIN, *monday, 11, 30), local(BERLIN, *monday, 13, 30)) == H
    assert due(cal, local(BERLIN, *monday, 16), 2 * H) == local(BERLIN, 2026, 12, 7, 10)


def test_public_and_explicit_holidays() -> None:
    cal = office(holidays={"country": "DE", "subdiv": "BY"}, closed=["2026-12-24"])
    # Thu 24 Dec closed (explicit), Fri 25 public holiday, weekend: Monday 28th.
    assert due(cal, local(BERLIN, 2026, 12, 23, 16), 2 * H) == local(BERLIN, 2026, 12, 28, 10)
    # An explicit open date overrides a holiday (New Year's Day 2027, a Friday).
    opened = office(holidays={"country": "DE"}, open=["2027-01-01"])
    assert due(opened, local(BERLIN, 2026, 12, 31, 16), 2 * H) == local(BERLIN, 2027, 1, 1, 10)
    closed = office(holidays={"country": "DE"})
    assert due(closed, local(BERLIN, 2026, 12, 31, 16), 2 * H) == local(BERLIN, 2027, 1, 4, 10)


def test_holidays_are_local_dates() -> None:
    """2026-12-24T23:30Z is 25 December in Berlin: closed, though not in UTC."""
    cal = build_calendar(
        CalendarConfig(
            time_zone="Europe/Berlin",
            hours={d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            holidays=HolidaySource(country="DE"),
        )
    )
    start = datetime(2026, 12, 24, 23, 30, tzinfo=UTC)
    assert next_open(cal, start) == local(BERLIN, 2026, 12, 27, 0)


def test_pauses_stop_the_clock() -> None:
    cal = office()
    start = local(BERLIN, 2026, 11, 30, 9)
    pause = (local(BERLIN, 2026, 11, 30, 10), local(BERLIN, 2026, 11, 30, 12))
    assert due(cal, start, 2 * H, [pause]) == local(BERLIN, 2026, 11, 30, 13)
    assert elapsed(cal, start, local(BERLIN, 2026, 11, 30, 13), [pause]) == 2 * H


def test_never_open_is_an_error_not_a_hang() -> None:
    cal = build_calendar(CalendarConfig(time_zone="UTC", hours={}))
    with pytest.raises(NeverOpen):
        due(cal, datetime(2026, 1, 1, tzinfo=UTC), H)


# Properties over a calendar with split, overnight and weekend windows in a DST zone.
SHIFTS = CalendarConfig(
    time_zone="Europe/Berlin",
    hours={
        "mon": ["08:00-12:00", "13:00-17:30"],
        "tue": ["09:00-17:00"],
        "wed": ["09:00-17:00"],
        "thu": ["22:00-06:00"],
        "sat": ["02:00-03:30"],
        "sun": ["00:30-02:45", "23:00-24:00"],
    },
    holidays=HolidaySource(country="DE"),
)
instants = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
targets = st.integers(min_value=0, max_value=200 * 3600).map(lambda s: timedelta(seconds=s))


@settings(max_examples=200, deadline=None)
@given(start=instants, a=targets, b=targets)
def test_due_is_monotone_in_the_target(start: datetime, a: timedelta, b: timedelta) -> None:
    cal = build_calendar(SHIFTS)
    lo, hi = sorted((a, b))
    assert due(cal, start, lo) <= due(cal, start, hi)


@settings(max_examples=200, deadline=None)
@given(start=instants, a=targets, b=targets)
def test_due_and_elapsed_agree(start: datetime, a: timedelta, b: timedelta) -> None:
    cal = build_calendar(SHIFTS)
    first = due(cal, start, a)
    assert elapsed(cal, start, first) == a
    assert due(cal, first, b) == due(cal, start, a + b)
    assert elapsed(cal, start, first) <= first - start


@settings(max_examples=100, deadline=None)
@given(start=instants, a=targets)
def test_always_open_is_plain_arithmetic(start: datetime, a: timedelta) -> None:
    assert due(Calendar.always_open("Europe/Berlin"), start, a) == start + a
