"""Routing's part in calls that connect, with plain calls to the routing application
(in-memory store, a clock moved by hand): what an acceptance asks of the bridge, and what
each leg's report, the bridge's deadline and a queued callback change."""

from __future__ import annotations

import uuid
from itertools import count

import pytest
from eventsourcing.persistence import Tracking

from events import (
    BridgeDeadline,
    CallbackAsked,
    CallbackAttemptFailed,
    CallbackDeadline,
    CallBridgeFailed,
    CallBridgeRequested,
    CallConnected,
    CallLegReported,
    Event,
    InteractionUpdated,
)
from schemas.config import TwilioConfig
from services.routing.application import RoutingApplication
from services.routing.contracts import to_contract
from services.routing.queue_stats import QueueStatsProjection
from tests.support.clock import Clock
from tests.unit.test_routing_queues import available, contact_of, interaction, routing, track

positions = count(1)


def timer() -> Tracking:
    return Tracking("stream:TIMERS", next(positions))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> RoutingApplication:
    app = routing(clock)
    twilio = TwilioConfig(
        account_sid="AC1",
        auth_token="t",
        from_number="+4930999",
        callback_attempts=2,
        callback_retry_seconds=60,
    )
    app.voice.enable(twilio)
    return app


def contracts(app: RoutingApplication, kind: type[Event]) -> list[Event]:
    stored = app.recorder.select_notifications(0, 5000)
    found = [to_contract(app.mapper.to_domain_event(n)) for n in stored]
    return [e for e in found if isinstance(e, kind)]


def take(app: RoutingApplication, agent: str, n: int = 1) -> uuid.UUID:
    [offer] = [o for o in app.offers_for(agent) if o.contact_id == contact_of(n, "voice")]
    app.accept(offer.offer_id, agent)
    return offer.contact_id


def report(
    app: RoutingApplication,
    contact: uuid.UUID,
    status: str,
    attempt: int = 1,
    leg: str = "agent",
    sid: str = "CA1",
) -> None:
    event = CallLegReported.model_validate(
        {"contact_id": contact, "leg": leg, "attempt": attempt, "call_sid": sid, "status": status}
    )
    app.voice.reported(event, track())


def caller(app: RoutingApplication, n: int, status: str) -> None:
    call_of = interaction(n, "voice")
    update = InteractionUpdated(
        interaction_id=call_of.interaction_id,
        channel="voice",
        source="src",
        external_id=f"q{n}:{status}",
        kind="status",
        status=status,
    )
    app.update(update, track())


def status_of(app: RoutingApplication, agent: str) -> str:
    return next(a.status for a in app.agents() if a.agent_id == agent)


def test_accepting_a_call_asks_for_the_bridge_in_the_same_transaction(
    app: RoutingApplication, clock: Clock
) -> None:
    available(app, clock, "alice")
    app.receive(interaction(1, "voice"), track())
    contact = take(app, "alice")
    [asked] = contracts(app, CallBridgeRequested)
    assert isinstance(asked, CallBridgeRequested)
    assert (asked.contact_id, asked.agent_id, asked.attempt) == (contact, "alice", 1)
    assert asked.conference == f"contact-{contact}" and asked.customer_call_sid == "q1"
    assert (asked.caller_id, asked.record, asked.ring_seconds) == ("+4930999", "none", 20)


def test_an_agent_leg_not_answered_goes_to_the_next_agent(
    app: RoutingApplication, clock: Clock
) -> None:
    available(app, clock, "alice", "bob")
    app.receive(interaction(1, "voice"), track())
    contact = take(app, "alice")
    report(app, contact, "ringing")
    report(app, contact, "no-answer")
    assert status_of(app, "alice") == "not_responding"
    assert app.contact(contact).status == "offered"
    [failed] = contracts(app, CallBridgeFailed)
    assert isinstance(failed, CallBridgeFailed) and "no-answer" in failed.reason
    assert take(app, "bob") == contact
    report(app, contact, "completed")  # late news of alice's leg: nothing changes
    assert app.contact(contact).status == "accepted"
    second = contracts(app, CallBridgeRequested)[-1]
    assert isinstance(second, CallBridgeRequested) and second.attempt == 2
    report(app, contact, "in-progress", attempt=2, sid="CA2")
    [connected] = contracts(app, CallConnected)
    assert isinstance(connected, CallConnected) and connected.agent_call_sid == "CA2"


def test_the_bridge_deadline_is_the_backstop(app: RoutingApplication, clock: Clock) -> None:
    available(app, clock, "alice", "bob")
    app.receive(interaction(1, "voice"), track())
    contact = take(app, "alice")
    app.voice.deadline(BridgeDeadline(contact_id=contact, attempt=1), timer())
    assert status_of(app, "alice") == "not_responding"
    assert [o.contact_id for o in app.offers_for("bob")] == [contact]
    # A deadline of an attempt already connected changes nothing.
    take(app, "bob")
    report(app, contact, "in-progress", attempt=2)
    app.voice.deadline(BridgeDeadline(contact_id=contact, attempt=2), timer())
    assert app.contact(contact).status == "accepted"


def test_caller_hanging_up_while_the_agent_rings_abandons(
    app: RoutingApplication, clock: Clock
) -> None:
    available(app, clock, "alice")
    app.receive(interaction(1, "voice"), track())
    contact = take(app, "alice")
    caller(app, 1, "completed")
    assert app.contact(contact).status == "abandoned"
    assert app.contacts_of("alice") == [] and status_of(app, "alice") == "available"


def test_caller_hanging_up_once_connected_leaves_the_contact_to_its_agent(
    app: RoutingApplication, clock: Clock
) -> None:
    available(app, clock, "alice")
    app.receive(interaction(1, "voice"), track())
    contact = take(app, "alice")
    report(app, contact, "in-progress")
    caller(app, 1, "completed")
    assert app.contact(contact).status == "accepted"


def test_a_callback_keeps_its_place_retries_then_gives_up(
    app: RoutingApplication, clock: Clock
) -> None:
    app.receive(interaction(1, "voice"), track())
    contact = contact_of(1, "voice")
    asked = CallbackAsked(
        interaction_id=interaction(1, "voice").interaction_id,
        call_sid="q1",
        number="+4915100000009",
    )
    app.voice.reported(asked, track())
    caller(app, 1, "completed")  # the caller hangs up after asking: not abandoned
    assert app.contact(contact).status == "waiting"

    available(app, clock, "alice")
    take(app, "alice")
    [asked_bridge] = contracts(app, CallBridgeRequested)
    assert isinstance(asked_bridge, CallBridgeRequested)
    assert asked_bridge.callback_to == "+4915100000009"
    report(app, contact, "in-progress")
    report(app, contact, "no-answer", leg="customer", sid="CB1")
    assert app.contact(contact).status == "callback_wait"
    assert status_of(app, "alice") == "available" and app.offers_for("alice") == []
    [failed] = contracts(app, CallbackAttemptFailed)
    assert isinstance(failed, CallbackAttemptFailed) and failed.retry_at is not None

    clock.advance(60)
    app.voice.callback_deadline(CallbackDeadline(contact_id=contact, failures=1), timer())
    take(app, "alice")  # the same agent may take the next attempt
    report(app, contact, "in-progress", attempt=2, sid="CA2")
    report(app, contact, "busy", attempt=2, leg="customer", sid="CB2")
    assert app.contact(contact).status == "abandoned"
    last = contracts(app, CallbackAttemptFailed)[-1]
    assert isinstance(last, CallbackAttemptFailed) and last.retry_at is None


def test_queue_stats_count_an_unanswered_agent_phone_as_a_lapsed_offer(
    app: RoutingApplication, clock: Clock
) -> None:
    available(app, clock, "alice", "bob")
    app.receive(interaction(1, "voice"), track())
    contact = take(app, "alice")
    report(app, contact, "no-answer")
    clock.advance(5)
    take(app, "bob")
    report(app, contact, "in-progress", attempt=2, sid="CA2")
    app.set_status("alice", "available")  # back from not responding
    app.receive(interaction(2, "voice"), track())
    take(app, "alice", 2)
    caller(app, 2, "completed")  # the caller leaves while alice's phone rings
    projection = QueueStatsProjection({"default": 20})
    for n in app.recorder.select_notifications(start=None, limit=1000):
        projection.apply(n.id, app.mapper.to_domain_event(n))
    totals = projection.totals["default"]
    # Answered once (bob, after 5 s), one lapsed offer (alice), one abandoned call.
    assert (totals.accepted, totals.expired, totals.abandoned) == (1, 1, 1)
    assert totals.total_wait_seconds == pytest.approx(5, abs=1)
