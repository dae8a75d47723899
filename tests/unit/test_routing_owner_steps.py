"""The account owner's steps driven through the routing application with plain calls
(in-memory store, controllable clock): owner, then team, then the queue; the queue's
owner_first and owner_tiers."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from eventsourcing.persistence import Tracking

from events import CustomerIdentified
from schemas.config import Person, QueueConfig, RoutingConfig
from services.routing.application import RoutingApplication
from tests.support.clock import Clock
from tests.unit.test_routing_queues import PEOPLE, contact_of, interaction, track

# dan is in hana's team, not sam's: alice's team is alice, bob and carl.
TEAMS = [*PEOPLE, Person(id="dan", name="D", supervisor="hana")]


@pytest.fixture
def clock() -> Clock:
    return Clock()


def routing(clock: Clock, **queue: object) -> RoutingApplication:
    config = RoutingConfig(
        offer_timeout_seconds=20,
        identify_timeout_seconds=2,
        queues=[QueueConfig.model_validate({"name": "default", **queue})],
    )
    app = RoutingApplication(
        TEAMS, config, "sam", clock=clock, env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
    )
    for name in ("dan", "carl", "bob", "alice"):  # dan idle longest, alice shortest
        app.set_status(name, "available")
        clock.advance(1)
    return app


def owned(n: int, owner: str | None, tier: str | None = None) -> CustomerIdentified:
    return CustomerIdentified(
        customer_id=uuid.uuid5(uuid.NAMESPACE_URL, f"customer{n}"),
        interaction_id=interaction(n).interaction_id,
        contact_id=contact_of(n),
        identities=[],
        is_new_customer=False,
        tier=tier,
        owner_id=owner,
    )


def offered_to(app: RoutingApplication, agent: str) -> uuid.UUID | None:
    offers = app.offers_for(agent)
    return offers[0].offer_id if offers else None


def test_owner_then_team_then_the_queue(clock: Clock) -> None:
    app = routing(clock, owner_timeout_seconds=45)
    app.receive(interaction(1), track())
    app.identified(owned(1, "alice"), track())
    [offer] = app.offers_for("alice")
    assert offer.expires_at == clock.now + timedelta(seconds=45)
    app.expire(contact_of(1), offer.offer_id, Tracking("stream:TIMERS", 1))
    # the team in the queue's order (least busy, longest idle): carl, then bob
    carl = offered_to(app, "carl")
    assert carl is not None
    app.decline(carl)
    bob = offered_to(app, "bob")
    assert bob is not None
    app.decline(bob)
    assert offered_to(app, "dan") is not None  # the team is through: the queue
    steps = [(d.step, d.target, d.reason) for d in app.decisions(contact_of(1))]
    assert steps[0] == ("offer", "alice", "account owner")
    assert steps[-2] == ("skip", None, "nobody free in the account owner's team")
    assert steps[-1][:2] == ("offer", "dan")


def test_a_busy_owner_is_skipped_and_the_reason_recorded(clock: Clock) -> None:
    app = routing(clock)
    app.set_status("alice", "away")
    app.receive(interaction(1), track())
    app.identified(owned(1, "alice"), track())
    assert offered_to(app, "carl") is not None  # her team's longest idle, not dan
    skip, team = app.decisions(contact_of(1))
    assert (skip.step, skip.target, skip.reason) == (
        "skip",
        "alice",
        "account owner alice skipped: away",
    )
    verdicts = {c.agent_id: c.verdict for c in skip.candidates}
    assert verdicts["alice"] == "skipped: away"
    assert team.reason == "account owner's team (least busy, longest idle)"


def test_owners_first_only_where_and_for_whom_the_queue_says(clock: Clock) -> None:
    app = routing(clock, owner_tiers=["vip"])
    app.receive(interaction(1), track())
    app.identified(owned(1, "alice", tier="standard"), track())
    assert offered_to(app, "dan") is not None  # not a VIP: the queue as always
    app.receive(interaction(2), track())
    app.identified(owned(2, "alice", tier="vip"), track())
    assert offered_to(app, "alice") is not None
    off = routing(Clock(), owner_first=False)
    off.receive(interaction(3), track())
    off.identified(owned(3, "alice"), track())
    assert offered_to(off, "dan") is not None
