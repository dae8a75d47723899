"""The deadlines routing's published events set, as its relay schedules them: plain calls
on the contracts, no NATS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from events import (
    AgentOffered,
    AgentStatusChanged,
    AgentWrapUpStarted,
    ContactCompleted,
    ContactOpened,
    ContactPending,
    ContactQueued,
    ContactSnoozed,
    ConversationDeadline,
    Event,
    IdentifyDeadline,
    OfferDeadline,
    WaitDeadline,
    WrapUpDeadline,
)
from schemas.config import QueueConfig, RoutingConfig
from services.routing.deadlines import RoutingDeadlines
from services.routing.plan import RoutingPlan
from switchboard.timers import Scheduled

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CONTACT = uuid.uuid4()
CONFIG = RoutingConfig(max_wait_seconds=120, queues=[QueueConfig(name="vip", max_wait_seconds=30)])
ROUTING = RoutingDeadlines(RoutingPlan([], CONFIG, None), CONFIG)
Plain = tuple[type, dict[str, object], datetime]


def plain(scheduled: list[Scheduled]) -> list[Plain]:
    """Deadlines compared by kind, fields and time: each has its own event id."""
    return [
        (type(s.deadline), s.deadline.model_dump(exclude={"event_id", "occurred_at"}), s.at)
        for s in scheduled
    ]


def DEADLINES(event: Event) -> list[Plain]:
    return plain(ROUTING(event))


def opened(identify_by: datetime | None) -> ContactOpened:
    return ContactOpened(
        contact_id=CONTACT, interaction_id=uuid.uuid4(), channel="web", identify_by=identify_by
    )


def queued(queue: str, waiting_since: datetime | None) -> ContactQueued:
    return ContactQueued(
        contact_id=CONTACT,
        interaction_id=uuid.uuid4(),
        channel="web",
        queue=queue,
        priority=0,
        waiting_since=waiting_since,
        occurred_at=NOW,
    )


def test_a_contact_waits_for_its_customers_identity_until_identify_by() -> None:
    at = NOW + timedelta(seconds=2)
    assert DEADLINES(opened(at)) == plain([Scheduled(IdentifyDeadline(contact_id=CONTACT), at)])
    assert DEADLINES(opened(None)) == []


def test_an_offer_expires_when_it_says_and_only_then() -> None:
    offer = uuid.uuid4()
    at = NOW + timedelta(seconds=15)
    offered = AgentOffered(contact_id=CONTACT, offer_id=offer, agent_id="alice", expires_at=at)
    assert DEADLINES(offered) == plain(
        [Scheduled(OfferDeadline(contact_id=CONTACT, offer_id=offer), at)]
    )
    assert DEADLINES(offered.model_copy(update={"expires_at": None})) == []


def test_a_queued_contact_waits_its_queues_maximum_counted_from_when_it_came_in() -> None:
    came_in = NOW - timedelta(seconds=10)
    wait = WaitDeadline(contact_id=CONTACT)
    assert DEADLINES(queued("vip", came_in)) == plain(
        [Scheduled(wait, came_in + timedelta(seconds=30))]
    )
    # A queue without its own maximum, or gone from the plan: the routing default.
    assert DEADLINES(queued("general", came_in)) == plain(
        [Scheduled(wait, came_in + timedelta(seconds=120))]
    )
    assert DEADLINES(queued("closed-queue", None)) == plain(
        [Scheduled(wait, NOW + timedelta(seconds=120))]
    )


def test_wrap_ups_snoozes_and_waits_on_the_customer_end_when_they_say() -> None:
    until = NOW + timedelta(minutes=5)
    wrap_up = AgentWrapUpStarted(agent_id="alice", contact_id=CONTACT, until=until)
    assert DEADLINES(wrap_up) == plain(
        [Scheduled(WrapUpDeadline(agent_id="alice", contact_id=CONTACT), until)]
    )
    snoozed = ContactSnoozed(contact_id=CONTACT, agent_id="alice", until=until)
    assert DEADLINES(snoozed) == plain(
        [Scheduled(ConversationDeadline(contact_id=CONTACT, due=until), until)]
    )
    pending = ContactPending(contact_id=CONTACT, agent_id="alice", resolve_at=until)
    assert DEADLINES(pending) == plain(
        [Scheduled(ConversationDeadline(contact_id=CONTACT, due=until), until)]
    )
    assert DEADLINES(pending.model_copy(update={"resolve_at": None})) == []


def test_events_that_set_no_deadline_schedule_nothing() -> None:
    assert DEADLINES(AgentStatusChanged(agent_id="alice", status="away")) == []
    assert (
        DEADLINES(ContactCompleted(contact_id=CONTACT, agent_id="alice", disposition="resolved"))
        == []
    )
