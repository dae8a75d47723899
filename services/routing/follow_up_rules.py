"""The pure rules of follow-ups: when one is due, and when each attempt's phases end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schemas.follow_up_config import FollowUpConfig
from services.routing.contact import InvalidRequest


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidRequest(
            "time_zone", f"unknown time zone {name!r} (IANA: Europe/Berlin)"
        ) from None


def due_instant(
    due_at: datetime | None, local_time: datetime | None, time_zone: str | None, now: datetime
) -> datetime:
    """The instant a follow-up is due: `due_at` (aware), or `local_time` (naive) on the wall
    clock of the customer's `time_zone`. A wall time the clocks skip (spring forward) is
    taken with the offset before the change, so it lands as much later as the gap; one they
    pass twice (fall back) is its first occurrence."""
    if (due_at is None) == (local_time is None):
        raise InvalidRequest("due_at", "give either due_at or local_time (with time_zone)")
    if due_at is not None:
        if due_at.tzinfo is None:
            raise InvalidRequest("due_at", "needs a time zone (e.g. Z or +01:00)")
        at = _utc(due_at, "due_at")
        field = "due_at"
    else:
        assert local_time is not None
        if local_time.tzinfo is not None:
            raise InvalidRequest("local_time", "a wall-clock time, without an offset")
        if time_zone is None:
            raise InvalidRequest("time_zone", "needed with local_time (IANA: Europe/Berlin)")
        at = _utc(local_time.replace(tzinfo=zone_of(time_zone), fold=0), "local_time")
        field = "local_time"
    if at <= now:
        raise InvalidRequest(field, f"{at.isoformat()} is in the past")
    return at


def _utc(at: datetime, field: str) -> datetime:
    try:
        return at.astimezone(UTC)
    except (OverflowError, ValueError):
        raise InvalidRequest(field, "out of the range of dates") from None


class AttemptTimes(NamedTuple):
    grace_until: datetime  # only the follow-up's agent may take it until then
    missed_at: datetime  # not taken by then: the attempt is missed


def attempt_times(opened_at: datetime, config: FollowUpConfig) -> AttemptTimes:
    grace_until = opened_at + timedelta(seconds=config.grace_seconds)
    return AttemptTimes(grace_until, grace_until + timedelta(seconds=config.answer_seconds))


def retry_at(attempt: int, missed_at: datetime, config: FollowUpConfig) -> datetime | None:
    """When the attempt after a missed one is due; None when `attempt` was the last."""
    if attempt >= config.max_attempts:
        return None
    return missed_at + timedelta(seconds=config.retry_seconds)
