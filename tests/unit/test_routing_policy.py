"""Routing policy as plain function calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.routing.policy import (
    Candidate,
    EscalateTo,
    OfferTo,
    Timeouts,
    Wait,
    longest_idle,
    next_step,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TIMEOUTS = Timeouts(offer=20, escalation=300)
SUPERVISORS = {"alice": "sam", "bob": "sam", "carol": "tara", "sam": "hana", "hana": None}


def agent(name: str, idle_minutes: int, status: str = "available", free: bool = True) -> Candidate:
    return Candidate(name, status, T0 - timedelta(minutes=idle_minutes), free)


def test_longest_idle_available_agent_with_capacity_wins() -> None:
    candidates = [
        agent("alice", 5),
        agent("bob", 30, status="away"),
        agent("carol", 20, free=False),
        agent("dan", 10),
    ]
    assert longest_idle(candidates, excluded=[]) == "dan"
    assert longest_idle(candidates, excluded=["dan"]) == "alice"
    assert longest_idle(candidates, excluded=["dan", "alice"]) is None


def test_equal_idle_time_is_decided_by_name_not_by_input_order() -> None:
    a, b = agent("bob", 5), agent("alice", 5)
    assert longest_idle([a, b], []) == longest_idle([b, a], []) == "alice"


def test_first_step_offers_to_the_longest_idle() -> None:
    step = next_step([], 0, [agent("alice", 1), agent("bob", 9)], SUPERVISORS, TIMEOUTS)
    assert step == OfferTo("bob", 20)


def test_nobody_free_and_nobody_tried_waits() -> None:
    step = next_step([], 0, [agent("alice", 1, status="away")], SUPERVISORS, TIMEOUTS)
    assert isinstance(step, Wait)


def test_after_the_last_agent_it_goes_to_that_agents_supervisor() -> None:
    step = next_step(
        ["bob", "carol"], 0, [agent("bob", 1), agent("carol", 2)], SUPERVISORS, TIMEOUTS
    )
    assert step == EscalateTo("tara", "carol", "not accepted by 2 agent(s)", None)


def test_each_unanswered_escalation_climbs_one_rung() -> None:
    first = next_step(["alice"], 0, [], SUPERVISORS, TIMEOUTS)
    assert first == EscalateTo("sam", "alice", "not accepted by 1 agent(s)", 300)
    second = next_step(["alice", "sam"], 1, [agent("bob", 3)], SUPERVISORS, TIMEOUTS)
    # once escalated it keeps climbing, even if an agent became free meanwhile
    assert isinstance(second, EscalateTo) and second.person_id == "hana"
    assert second.timeout is None  # the top keeps it
    top = next_step(["alice", "sam", "hana"], 2, [], SUPERVISORS, TIMEOUTS)
    assert isinstance(top, Wait)


def test_an_agent_without_supervisor_waits_instead_of_escalating() -> None:
    step = next_step(["zed"], 0, [], {"zed": None}, TIMEOUTS)
    assert isinstance(step, Wait)


def test_capacity_per_kind_of_work() -> None:
    from services.routing.policy import has_capacity, work_kind

    caps = {"messaging": 3, "email": 5}
    assert [work_kind(c) for c in ("voice", "email", "sms", "webform")] == [
        "voice",
        "email",
        "messaging",
        "messaging",
    ]
    assert has_capacity([], "voice", caps)
    assert not has_capacity(["email"], "voice", caps)  # a call needs the agent free
    assert not has_capacity(["voice"], "email", caps)  # and blocks everything else
    assert has_capacity(["messaging", "messaging"], "messaging", caps)
    assert not has_capacity(["messaging"] * 3, "messaging", caps)
    assert has_capacity(["messaging"] * 3, "email", caps)


def test_least_busy_before_longest_idle() -> None:
    busy_but_idle_long = Candidate("alice", "available", T0 - timedelta(hours=1), True, load=2)
    free_recently = Candidate("bob", "available", T0, True, load=0)
    assert longest_idle([busy_but_idle_long, free_recently], []) == "bob"
