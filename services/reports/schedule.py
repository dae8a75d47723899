"""When a subscribed report is due and which period it covers (pure).

A daily report at 08:00 in Berlin covers the day up to it (08:00 the day before to 08:00);
a weekly one (on `weekday`, 0 = Monday) the seven days up to it. Times are local
wall-clock times, so a report stays at 08:00 across daylight-saving changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Cadence = Literal["daily", "weekly"]


@dataclass(frozen=True)
class Subscription:
    subscription_id: uuid.UUID
    person_id: str
    cadence: Cadence
    at: time
    weekday: int  # weekly only
    time_zone: str
    group_by: str
    last_due: datetime | None = None


def _local(day: datetime, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day.date(), at).replace(tzinfo=tz)


def next_due(sub: Subscription, after: datetime) -> datetime:
    """The first time strictly after `after` the report is due, in UTC."""
    tz = ZoneInfo(sub.time_zone)
    local = after.astimezone(tz)
    for days in range(0, 9):
        candidate = _local(local + timedelta(days=days), sub.at, tz)
        if candidate <= local:
            continue
        if sub.cadence == "weekly" and candidate.weekday() != sub.weekday:
            continue
        return candidate.astimezone(UTC)
    raise AssertionError("a due time is always within 8 days")


def period(sub: Subscription, due: datetime) -> tuple[datetime, datetime]:
    """What the report due at `due` covers: [start, end), local times."""
    tz = ZoneInfo(sub.time_zone)
    end = due.astimezone(tz)
    days = 7 if sub.cadence == "weekly" else 1
    start = (end.replace(tzinfo=None) - timedelta(days=days)).replace(tzinfo=tz)
    return start, end
