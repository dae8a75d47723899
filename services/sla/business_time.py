"""Business-time arithmetic on a calendar: pure functions, UTC in and out.

Business time is real elapsed seconds inside open intervals, never wall-clock hours: an
overnight shift 22:00-06:00 lasts 7 h on a spring-forward night and 9 h on a fall-back
night. A window belongs to the local date it starts on (weekday and holiday tests use that
date); an end at or before its start ends the next day. A boundary that falls in a DST gap
moves to the first instant after the gap; in a fold, starts take the earlier reading and
ends the later one (reference/sla.md, design implications 2 and 3).

Shaped like the `biz` gem Zammad uses: local windows per date -> UTC intervals -> minus
pauses. No maintained Python package does sub-hour arithmetic with split and overnight
shifts, holidays and correct DST (businesstimedelta and pandas count wall-clock time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]
# A window as minutes since local midnight; end 1440 is "24:00"; end <= start: overnight.
Window = tuple[int, int]

DAY = timedelta(days=1)
ZERO = timedelta(0)
# A calendar that never opens would make `due` search forever.
SEARCH_DAYS = 3 * 366


class NeverOpen(ValueError):
    """The calendar has no open time within SEARCH_DAYS of the start."""


def _no_holidays(_year: int) -> frozenset[date]:
    return frozenset()


@dataclass(eq=False)
class Calendar:
    """One IANA zone, windows per weekday (0 = Monday), closed dates (public holidays for
    each year from `holidays_for`, plus explicit ones), and explicit extra open dates that
    override a holiday."""

    zone: ZoneInfo
    weekly: dict[int, tuple[Window, ...]]
    closed: frozenset[date] = frozenset()
    opened: frozenset[date] = frozenset()
    holidays_for: Callable[[int], frozenset[date]] = _no_holidays
    _years: dict[int, frozenset[date]] = field(default_factory=dict, repr=False)
    _days: dict[date, tuple[Interval, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def always_open(cls, zone: str = "UTC") -> Calendar:
        return cls(zone=ZoneInfo(zone), weekly={d: ((0, 1440),) for d in range(7)})

    def is_closed(self, day: date) -> bool:
        if day in self.opened:
            return False
        if day in self.closed:
            return True
        if day.year not in self._years:
            self._years[day.year] = self.holidays_for(day.year)
        return day in self._years[day.year]

    def day_intervals(self, day: date) -> tuple[Interval, ...]:
        """The UTC intervals of the windows starting on local date `day` (cached)."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        out: list[Interval] = []
        if not self.is_closed(day):
            for start, end in self.weekly.get(day.weekday(), ()):
                end_day = day if end > start else day + DAY
                a = _instant(self.zone, day, start, fold=0)
                b = _instant(self.zone, end_day, end, fold=1)
                if b > a:
                    out.append((a, b))
        result = tuple(out)
        if len(self._days) > 4096:  # bounded: a long-running service walks through years
            self._days.clear()
        self._days[day] = result
        return result


def _instant(zone: ZoneInfo, day: date, minute: int, fold: int) -> datetime:
    """The UTC instant of local wall time `minute` on `day`; in a gap, the gap's end."""
    if minute >= 1440:
        day, minute = day + DAY, minute - 1440
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone).replace(fold=fold)
    utc = wall.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return utc
    # Nonexistent wall time: the transition lies between the two readings; find it.
    readings = sorted(int(wall.replace(fold=f).timestamp()) for f in (0, 1))
    lo, hi = readings
    offset_lo = datetime.fromtimestamp(lo, zone).utcoffset()
    while hi - lo > 1:  # integer seconds: zone transitions fall on whole seconds
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == offset_lo:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _subtract(a: datetime, b: datetime, pauses: Sequence[Interval]) -> Iterator[Interval]:
    """[a, b) minus the pauses (sorted by start)."""
    cur = a
    for p_start, p_end in pauses:
        if p_end <= cur:
            continue
        if p_start >= b:
            break
        if p_start > cur:
            yield cur, p_start
        cur = max(cur, p_end)
        if cur >= b:
            return
    if cur < b:
        yield cur, b


def open_intervals(
    cal: Calendar, start: datetime, pauses: Sequence[Interval] = ()
) -> Iterator[Interval]:
    """Open, unpaused UTC intervals from `start` on, in order, clipped to start."""
    ordered = sorted(pauses)
    # A window from the day before may run past midnight into `start`.
    day = start.astimezone(cal.zone).date() - DAY
    for _ in range(SEARCH_DAYS):
        for a, b in cal.day_intervals(day):
            if b <= start:
                continue
            yield from _subtract(max(a, start), b, ordered)
        day += DAY
    raise NeverOpen(f"no open time within {SEARCH_DAYS} days of {start.isoformat()}")


def _utc(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError("business time needs aware datetimes")
    return t.astimezone(UTC)


def due(
    cal: Calendar, start: datetime, target: timedelta, pauses: Sequence[Interval] = ()
) -> datetime:
    """The instant at which `target` of business time has passed since `start`."""
    start = _utc(start)
    if target < ZERO:
        raise ValueError("target must not be negative")
    if target == ZERO:
        return start
    left = target
    for a, b in open_intervals(cal, start, pauses):
        if b - a >= left:
            return a + left
        left -= b - a
    raise NeverOpen("unreachable")  # open_intervals raises first


def elapsed(
    cal: Calendar, start: datetime, end: datetime, pauses: Sequence[Interval] = ()
) -> timedelta:
    """Business time between `start` and `end` (zero when end <= start)."""
    start, end = _utc(start), _utc(end)
    total = ZERO
    if end <= start:
        return total
    ordered = sorted(pauses)
    day = start.astimezone(cal.zone).date() - DAY
    last = end.astimezone(cal.zone).date()
    while day <= last:
        for a, b in cal.day_intervals(day):
            for x, y in _subtract(max(a, start), min(b, end), ordered):
                total += y - x
        day += DAY
    return total


def next_open(cal: Calendar, start: datetime) -> datetime:
    """The first open instant at or after `start`."""
    a, _ = next(open_intervals(cal, _utc(start)))
    return a
