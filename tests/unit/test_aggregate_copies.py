"""Copies for the aggregate cache that share nested containers with their original
(switchboard/aggregate_copy.py) are deep copies only while no event changes a nested
container in place: a customer through its contacts' conversations and its card, a
contact and its agents through routing's busy day, each copy taken through every later
event while its original stays as a fresh rebuild has it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from itertools import count

from eventsourcing.persistence import Tracking

from events import (
    AgentOffered,
    ContactCompleted,
    ContactEvent,
    ContactPending,
    ContactQueued,
    ContactWoken,
    OfferAccepted,
)
from services.history.application import HistoryApplication
from services.history.summaries import summarize
from services.routing.application import RoutingApplication
from tests.support.aggregate_copies import assert_later_events_leave_the_original
from tests.support.clock import Clock
from tests.unit.test_customer_merges import customer_of, received, record
from tests.unit.test_follower_reads import busy_day
from tests.unit.test_routing_ladder import app, clock

__all__ = ["app", "clock"]  # the fixtures

positions = count(1)


def test_a_customer_through_conversations_and_card_edits() -> None:
    history = HistoryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    contact = record(history, received(email="dee@example.com", name="Dee"))
    other = record(history, received(email="dee@example.com", text="and another thing"))
    dee = customer_of(history, "email:dee@example.com")
    offer = uuid.uuid4()
    life: list[ContactEvent] = []
    for c in (contact, other):
        life += [
            ContactQueued(
                contact_id=c, interaction_id=uuid.uuid4(), channel="email", queue="q", priority=0
            ),
            AgentOffered(contact_id=c, offer_id=offer, agent_id="ann", expires_at=None),
            OfferAccepted(contact_id=c, offer_id=offer, agent_id="ann", waited_seconds=2),
            ContactPending(contact_id=c, agent_id="ann", resolve_at=None),
            ContactWoken(contact_id=c, agent_id="ann", reason="customer wrote"),
        ]
    life.append(ContactCompleted(contact_id=contact, agent_id="ann", disposition="done"))
    for event in life:
        history.record_contact_event(event, Tracking("routing>history-routing", next(positions)))
    history.update_profile(dee, {"organization": {"name": "Acme", "does": "anvils"}}, "ann")
    note = history.add_note(dee, "call after 5", "ann")
    history.tag(dee, "billing", "ann")
    history.remove_note(dee, note, "ann")
    assert history.card(dee).open_conversations  # the other contact's is still open
    assert assert_later_events_leave_the_original(history, {"Customer"}) >= 15


def test_a_contact_and_its_agents_through_a_busy_day(app: RoutingApplication, clock: Clock) -> None:
    busy_day(app, clock)
    assert assert_later_events_leave_the_original(app, {"Contact", "Agent"}) > 50


def test_a_pending_that_never_resolves_itself_reads_as_such() -> None:
    """With `pending_resolve_seconds = 0` routing sets no resolve time; history's summary
    of it used to format the missing time and fail (found by the test above)."""
    contact = uuid.uuid4()
    never = ContactPending(contact_id=contact, agent_id="ann", resolve_at=None)
    assert summarize(never) == "Pending on the customer (set by ann)"
    at = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    later = ContactPending(contact_id=contact, agent_id="ann", resolve_at=at)
    assert summarize(later).endswith("resolves itself at 2026-12-02 09:30 UTC")
