"""The account owner's steps of the ladder as plain function calls: the owner first, then
their team, then the queue; an owner who cannot take it is skipped with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.config import LadderStep, QueueConfig, SwitchboardConfig
from services.routing.policy import (
    Candidate,
    OfferTo,
    PassOver,
    Situation,
    Timeouts,
    explain,
    next_step,
    team_of,
    with_ladder_end,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TIMEOUTS = Timeouts(offer=20, escalation=300, owner=45)
SUPERVISORS = {
    "alice": "sam",
    "bob": "sam",
    "carol": "tara",
    "dan": "tara",
    "sam": "hana",
    "tara": "hana",
    "hana": None,
}
LADDER = with_ladder_end([LadderStep(step="agents")])
TEAM = team_of("alice", SUPERVISORS)


def agent(name: str, idle: int, status: str = "available", free: bool = True) -> Candidate:
    return Candidate(name, status, T0 - timedelta(minutes=idle), free)


def step(candidates: list[Candidate], **kw: object) -> object:
    s = Situation(**kw)  # type: ignore[arg-type]
    return next_step(s, LADDER, candidates, SUPERVISORS, TIMEOUTS)


def test_the_owner_is_offered_first_although_another_agent_is_longer_idle() -> None:
    people = [agent("alice", 1), agent("carol", 60)]
    assert step(people, owner="alice", team=TEAM) == OfferTo(
        "alice", 45, "account owner", stage="owner"
    )


@pytest.mark.parametrize(
    ("alice", "why"),
    [
        (agent("alice", 1, status="away"), "away"),
        (agent("alice", 1, status="offline"), "offline"),
        (agent("alice", 1, free=False), "at capacity"),
    ],
)
def test_an_owner_who_cannot_take_it_is_skipped_with_the_reason(alice: Candidate, why: str) -> None:
    people = [alice, agent("bob", 5), agent("carol", 60)]
    assert step(people, owner="alice", team=TEAM) == PassOver(
        "owner", f"account owner alice skipped: {why}"
    )


def test_an_owner_routing_does_not_know_is_skipped() -> None:
    assert step([agent("bob", 5)], owner="zoe") == PassOver(
        "owner", "account owner zoe skipped: not an agent routing knows"
    )


def test_after_the_owner_the_team_then_the_queue() -> None:
    people = [agent("alice", 1, status="away"), agent("bob", 5), agent("carol", 60)]
    # the owner's step is behind: bob of alice's team, although carol is longer idle
    offer = step(people, team=TEAM)
    assert offer == OfferTo(
        "bob", 20, "account owner's team (least busy, longest idle)", stage="team"
    )
    # bob declined: nobody else free in the team, so on to the queue
    assert step(people, tried=("bob",), team=TEAM) == PassOver(
        "team", "nobody free in the account owner's team"
    )
    queue = step(people, tried=("bob",))
    assert isinstance(queue, OfferTo) and queue.agent_id == "carol" and queue.stage is None


def test_the_owner_comes_before_a_returning_customer_s_last_agent() -> None:
    people = [agent("alice", 1), agent("carol", 60)]
    offer = step(people, owner="alice", team=TEAM, sticky_to="carol")
    assert isinstance(offer, OfferTo) and offer.agent_id == "alice"
    # with the owner's steps behind it, the last agent has their chance
    sticky = step(people, tried=("alice",), sticky_to="carol")
    assert isinstance(sticky, OfferTo) and sticky.sticky and sticky.agent_id == "carol"


def test_the_team_is_the_owner_s_supervisor_s_subtree() -> None:
    assert team_of("alice", SUPERVISORS) == ("alice", "bob")
    assert team_of("carol", SUPERVISORS) == ("carol", "dan")
    # an owner at the top: their own subtree
    assert set(team_of("hana", SUPERVISORS)) == set(SUPERVISORS)


def test_owner_tiers_are_checked_at_load_naming_the_field() -> None:
    queue = QueueConfig(name="vip", owner_tiers=["platinum"])
    with pytest.raises(ValueError, match=r"routing\.queues\.vip\.owner_tiers: unknown tiers"):
        SwitchboardConfig.model_validate({"routing": {"queues": [queue.model_dump()]}})
    with pytest.raises(ValueError, match="owner_timeout_seconds"):
        QueueConfig.model_validate({"name": "q", "owner_timeout_seconds": 0})


def test_the_explanation_of_an_owner_step_names_who_could_be_offered_it() -> None:
    people = [agent("alice", 1, status="away"), agent("bob", 5, free=False), agent("carol", 60)]
    skipped = explain(people, (), None, among=("alice",))
    assert {v["agent_id"]: v["verdict"] for v in skipped} == {
        "alice": "skipped: away",
        "bob": "skipped: neither the account owner nor in their team",
        "carol": "skipped: neither the account owner nor in their team",
    }
    offered = explain(people[2:], (), "carol", among=("carol",), chosen_as="account owner")
    assert offered == [{"agent_id": "carol", "verdict": "chosen: account owner"}]
