"""Follow-ups through the routing application with plain calls (in-memory store, a clock
moved by hand, deadlines fired by hand as NATS would): its agent first, the queue after the
grace, a missed attempt retried, the outcome recorded; a redelivered deadline does nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from itertools import count

import pytest
from eventsourcing.persistence import Tracking

from events import CallBridgeRequested, InboundEvent, InteractionReceived, Sender
from events.follow_ups import FollowUpDeadline, Phase
from schemas.config import TwilioConfig
from services.routing.application import RoutingApplication
from services.routing.contact import ContactError
from services.routing.contracts import to_contract
from services.routing.follow_up import FollowUp
from services.routing.unit import NotFound
from tests.support.clock import Clock
from tests.unit.test_conversations import accept_all, opened, routing, sms

positions = count(1_000)
CONFIG = {"follow_ups": {"grace_seconds": 60, "answer_seconds": 300, "max_attempts": 2}}


def fire(app: RoutingApplication, follow_up: uuid.UUID, attempt: int, phase: Phase) -> None:
    deadline = FollowUpDeadline(follow_up_id=follow_up, attempt=attempt, phase=phase)
    app.follow_ups.fired(deadline, Tracking("stream:TIMERS", next(positions)))


def held_and_resolved(app: RoutingApplication, clock: Clock) -> tuple[uuid.UUID, uuid.UUID]:
    """alice holds an SMS conversation, promises a call back in an hour, resolves it."""
    app.set_status("alice", "available")
    contact = opened(app, sms("+4915100001", "please call me back tomorrow"))
    accept_all(app, "alice")
    due = clock.now + timedelta(hours=1)
    follow_up = app.follow_ups.schedule(contact, "call", due, None, None, "about the bill", "alice")
    app.complete(contact, "resolved", "alice")
    clock.advance(3600)
    return contact, follow_up.id


def status(app: RoutingApplication, follow_up: uuid.UUID) -> tuple[str, int, str | None]:
    f = app.follow_ups.get(follow_up)
    return f.status, f.attempt, f.done_by


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_its_agent_first_the_queue_after_the_grace(clock: Clock) -> None:
    app = routing(clock, **CONFIG)
    contact, follow_up = held_and_resolved(app, clock)
    app.set_status("bob", "available")
    fire(app, follow_up, 1, "due")
    assert [o.contact_id for o in app.offers_for("alice")] == [contact]
    assert app.offers_for("bob") == []
    [offer] = app.offers_for("alice")
    app.decline(offer.offer_id, "alice")  # alice let it pass: the queue's at once
    assert [o.contact_id for o in app.offers_for("bob")] == [contact]
    accept_all(app, "bob")
    assert status(app, follow_up) == ("done", 1, "bob")
    assert app.follow_ups.of_agent("alice")[0].status == "done"


def test_while_its_agent_is_busy_it_waits_for_them_until_the_grace_ends(clock: Clock) -> None:
    app = routing(clock, **CONFIG)
    contact, follow_up = held_and_resolved(app, clock)
    app.set_status("alice", "away")
    app.set_status("bob", "available")
    fire(app, follow_up, 1, "due")
    assert app.offers_for("bob") == []
    clock.advance(60)
    fire(app, follow_up, 1, "grace")
    assert status(app, follow_up) == ("queued", 1, None)
    assert [o.contact_id for o in app.offers_for("bob")] == [contact]


def test_a_missed_attempt_is_retried_then_recorded_as_missed(clock: Clock) -> None:
    app = routing(clock, **CONFIG)
    contact, follow_up = held_and_resolved(app, clock)
    app.set_status("alice", "away")
    fire(app, follow_up, 1, "due")
    fire(app, follow_up, 1, "grace")
    clock.advance(360)
    fire(app, follow_up, 1, "missed")
    assert status(app, follow_up) == ("scheduled", 1, None)
    assert app.contact(contact).status == "cancelled"
    fire(app, follow_up, 1, "missed")  # redelivered: nothing more
    fire(app, follow_up, 1, "due")  # a stale deadline of attempt 1: nothing
    clock.advance(900)
    app.set_status("alice", "available")
    fire(app, follow_up, 2, "due")
    fire(app, follow_up, 2, "due")  # redelivered: still one offer
    assert [o.contact_id for o in app.offers_for("alice")] == [contact]
    app.set_status("alice", "away")  # her offer goes back; nobody else is free
    fire(app, follow_up, 2, "grace")
    clock.advance(360)
    fire(app, follow_up, 2, "missed")
    assert status(app, follow_up) == ("missed", 2, None)
    stored = [to_contract(e) for e in app.events.get(follow_up)]
    kinds = [type(c).__name__ for c in stored if c is not None]
    assert kinds == [
        "FollowUpScheduled",
        "FollowUpOpened",
        "FollowUpReleased",
        "FollowUpAttemptMissed",
        "FollowUpOpened",
        "FollowUpReleased",
        "FollowUpAttemptMissed",
        "FollowUpMissed",
    ]
    assert all(getattr(c, "contact_id", None) == contact for c in stored)


def test_due_while_still_held_is_done_by_the_holder(clock: Clock) -> None:
    app = routing(clock, **CONFIG)
    app.set_status("alice", "available")
    contact = opened(app, sms("+4915100001", "call me"))
    accept_all(app, "alice")
    due = clock.now + timedelta(minutes=5)
    follow_up = app.follow_ups.schedule(contact, "write", due, None, None, "", "alice")
    app.snooze(contact, clock.now + timedelta(hours=2), "alice")
    clock.advance(300)
    fire(app, follow_up.id, 1, "due")
    assert status(app, follow_up.id) == ("done", 1, "alice")
    assert app.contact(contact).conversation == "open"  # the snooze ended for it


def test_cancelled_and_unheld(clock: Clock) -> None:
    app = routing(clock, **CONFIG)
    contact, follow_up = held_and_resolved(app, clock)
    app.follow_ups.cancel(follow_up, "alice")
    fire(app, follow_up, 1, "due")
    assert status(app, follow_up) == ("cancelled", 0, None)
    with pytest.raises(ContactError):
        app.follow_ups.cancel(follow_up, "alice")
    with pytest.raises(ContactError):  # resolved: nobody holds it
        app.follow_ups.schedule(contact, "call", clock.now + timedelta(1), None, None, "", "x")
    assert isinstance(app.follow_ups.get(follow_up), FollowUp)


def test_a_call_follow_up_dials_the_customer_back_when_taken(clock: Clock) -> None:
    app = routing(clock, **CONFIG)
    app.voice.enable(TwilioConfig(account_sid="AC1", auth_token="t", from_number="+4930999"))
    app.set_status("alice", "available")
    call = InteractionReceived(
        interaction_id=InboundEvent.id_for("voice", "src", "CA9"),
        channel="voice",
        source="src",
        external_id="CA9",
        sender=Sender(phone="+4915100009"),
        text="",
    )
    contact = opened(app, call)
    accept_all(app, "alice")
    due = clock.now + timedelta(minutes=10)
    follow_up = app.follow_ups.schedule(contact, "call", due, None, None, "", "alice")
    app.complete(contact, "resolved", "alice")
    clock.advance(600)
    fire(app, follow_up.id, 1, "due")
    accept_all(app, "alice")
    stored = [
        to_contract(app.mapper.to_domain_event(n))
        for n in app.recorder.select_notifications(0, 500)
    ]
    bridges = [e for e in stored if isinstance(e, CallBridgeRequested)]
    assert [b.callback_to for b in bridges] == [None, "+4915100009"]
    assert status(app, follow_up.id) == ("done", 1, "alice")


def test_an_erased_customers_follow_up_is_gone_with_them(clock: Clock) -> None:
    app = routing(clock, **CONFIG)
    contact, follow_up = held_and_resolved(app, clock)
    customer = uuid.uuid4()
    app.keys.table.link({contact: customer})
    app.erase_customer(customer, Tracking("stream:EVENTS", next(positions)))
    fire(app, follow_up, 1, "due")  # its deadline still fires: nothing to do, no error
    assert app.follow_ups.of_agent("alice") == []
    with pytest.raises(NotFound):
        app.follow_ups.get(follow_up)
