"""The pure rules of follow-ups: due time in the customer's zone (DST included), the
attempt's phases, retries, and who may be offered one before and after its grace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from schemas.config import LadderStep, RoutingConfig
from schemas.follow_up_config import FollowUpConfig
from services.routing.contact import InvalidRequest
from services.routing.follow_up_rules import attempt_times, due_instant, retry_at
from services.routing.policy import Candidate, OfferTo, Situation, Timeouts, Wait, next_step

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_local_time_is_read_on_the_customers_wall_clock() -> None:
    due = due_instant(None, datetime(2026, 3, 2, 14, 30), "America/New_York", NOW)
    assert due == datetime(2026, 3, 2, 19, 30, tzinfo=UTC)  # EST, UTC-5


def test_across_the_dst_change_the_offset_of_that_day_counts() -> None:
    before = due_instant(None, datetime(2026, 3, 28, 10, 0), "Europe/Berlin", NOW)
    after = due_instant(None, datetime(2026, 3, 29, 10, 0), "Europe/Berlin", NOW)
    assert before == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)  # CET
    assert after == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # CEST


def test_a_skipped_wall_time_lands_as_much_later_as_the_gap() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29: clocks jump from 02:00 to 03:00.
    due = due_instant(None, datetime(2026, 3, 29, 2, 30), "Europe/Berlin", NOW)
    assert due == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    # 01:30 on 2026-11-01 happens twice in New York: the first one (EDT).
    twice = due_instant(None, datetime(2026, 11, 1, 1, 30), "America/New_York", NOW)
    assert twice == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_an_aware_instant_is_taken_as_it_is() -> None:
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert due_instant(at, None, None, NOW) == at


@pytest.mark.parametrize(
    ("due_at", "local", "zone", "field"),
    [
        (NOW - timedelta(minutes=1), None, None, "due_at"),
        (None, datetime(2026, 3, 1, 9, 30), "Europe/Berlin", "local_time"),  # 08:30 UTC
        (None, datetime(2026, 3, 2, 9, 0), "Mars/Olympus", "time_zone"),
        (None, datetime(2026, 3, 2, 9, 0), None, "time_zone"),
        (datetime(2026, 3, 2, 9, 0), None, None, "due_at"),  # naive
        (None, None, None, "due_at"),
        (datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))), None, None, "due_at"),
        (None, datetime(9999, 12, 31, 23, 0), "America/New_York", "local_time"),
        (None, datetime(2099, 1, 1), "../../etc/passwd", "time_zone"),
        (None, datetime(2099, 1, 1), "", "time_zone"),
    ],
)
def test_bad_due_times_name_their_field(
    due_at: datetime | None, local: datetime | None, zone: str | None, field: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        due_instant(due_at, local, zone, NOW)
    assert caught.value.field == field


def test_attempt_phases_and_retries() -> None:
    config = FollowUpConfig(grace_seconds=60, answer_seconds=600, max_attempts=2, retry_seconds=300)
    times = attempt_times(NOW, config)
    assert times.grace_until == NOW + timedelta(seconds=60)
    assert times.missed_at == NOW + timedelta(seconds=660)
    assert retry_at(1, times.missed_at, config) == times.missed_at + timedelta(seconds=300)
    assert retry_at(2, times.missed_at, config) is None


def candidate(agent_id: str, status: str = "available") -> Candidate:
    return Candidate(agent_id, status, NOW, True, 0, reach=0)


LADDER = [LadderStep(step="agents"), LadderStep(step="supervisor")]
TIMEOUTS = Timeouts(offer=20, escalation=30)


def step(s: Situation, *candidates: Candidate) -> object:
    return next_step(s, LADDER, candidates, {"alice": "sam", "bob": "sam"}, TIMEOUTS)


def test_within_its_grace_only_the_follow_ups_agent_is_offered_it() -> None:
    reserved = Situation(reserved_for="alice")
    offered = step(reserved, candidate("bob"), candidate("alice"))
    assert isinstance(offered, OfferTo) and offered.agent_id == "alice"
    waits = step(reserved, candidate("bob"), candidate("alice", "busy"))
    assert isinstance(waits, Wait) and "alice" in waits.reason


def test_after_the_grace_or_once_its_agent_let_it_pass_anyone_may_be() -> None:
    released = step(Situation(), candidate("bob"), candidate("alice", "busy"))
    assert isinstance(released, OfferTo) and released.agent_id == "bob"
    passed = step(Situation(tried=("alice",), reserved_for="alice"), candidate("bob"))
    assert isinstance(passed, OfferTo) and passed.agent_id == "bob"


def test_bad_follow_up_config_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        RoutingConfig.model_validate({"follow_ups": {"max_attempts": 0, "retry_seconds": 0}})
    fields = {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}
    assert fields == {"follow_ups.max_attempts", "follow_ups.retry_seconds"}
    assert RoutingConfig().follow_ups.grace_seconds == 300
