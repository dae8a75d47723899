"""The routing application driven with plain calls: in-memory store, controllable clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from events import InboundEvent, InteractionReceived, InteractionUpdated, Sender, contact_id_for
from schemas.config import Person, RoutingConfig
from services.routing.application import NotFound, RoutingApplication
from services.routing.contact import ContactError
from services.routing.contracts import to_contract
from tests.support.clock import Clock

PEOPLE = [
    Person(id="alice", name="Alice", supervisor="sam"),
    Person(id="bob", name="Bob", supervisor="sam"),
    Person(id="sam", name="Sam", role="supervisor", supervisor="hana"),
    Person(id="hana", name="Hana", role="supervisor"),
]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> RoutingApplication:
    return RoutingApplication(
        PEOPLE,
        # Routing without history here: nobody to wait for.
        RoutingConfig(
            offer_timeout_seconds=20, escalation_timeout_seconds=60, identify_timeout_seconds=0
        ),
        queue_supervisor="sam",
        clock=clock,
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
    )


positions = iter(range(1, 10_000))


def track() -> Tracking:
    return Tracking("stream:INBOUND", next(positions))


def interaction(n: int, channel: str = "webform") -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for(channel, "src", f"x{n}"),
        channel=channel,
        source="src",
        external_id=f"x{n}",
        sender=Sender(email=f"c{n}@example.com"),
        text=f"question {n}",
    )


def offer_of(app: RoutingApplication, agent: str) -> uuid.UUID:
    [offer] = app.offers_for(agent)
    return offer.offer_id


def hang_up(app: RoutingApplication, call: InteractionReceived) -> None:
    """The caller hangs up before anyone took the call (the voice channel's `canceled`)."""
    update = InteractionUpdated(
        interaction_id=call.interaction_id,
        channel="voice",
        source="src",
        external_id=f"{call.external_id}:canceled",
        kind="status",
        status="canceled",
    )
    app.update(update, track())


def available(app: RoutingApplication, clock: Clock, *agents: str) -> None:
    for a in agents:
        app.set_status(a, "available")
        clock.advance(1)


def test_offers_move_on_then_climb_the_hierarchy(app: RoutingApplication, clock: Clock) -> None:
    available(app, clock, "alice", "bob")
    app.receive(interaction(1), track())
    contact_id = contact_id_for(interaction(1).interaction_id)
    first = offer_of(app, "alice")
    assert app.offers_for("bob") == []

    clock.advance(20)
    app.expire(contact_id, first, Tracking("stream:TIMERS", 1))
    assert {a.agent_id: a.status for a in app.agents()}["alice"] == "not_responding"
    second = offer_of(app, "bob")

    app.expire(contact_id, second, Tracking("stream:TIMERS", 2))
    [to_sam] = app.offers_for("sam")
    assert to_sam.escalation_level == 1
    assert to_sam.expires_at == clock.now + timedelta(seconds=60)

    app.expire(contact_id, to_sam.offer_id, Tracking("stream:TIMERS", 3))
    [to_hana] = app.offers_for("hana")
    assert (to_hana.escalation_level, to_hana.expires_at) == (2, None)
    assert app.contact(contact_id).escalation_level == 2


def test_declining_excludes_that_agent(app: RoutingApplication, clock: Clock) -> None:
    available(app, clock, "alice", "bob")
    app.receive(interaction(1), track())
    app.decline(offer_of(app, "alice"))
    second = offer_of(app, "bob")
    app.decline(second)
    assert app.offers_for("alice") == []  # never offered the same contact twice
    assert app.offers_for("sam")  # escalated instead


def test_completing_frees_the_agent_for_the_next_waiting_contact(
    app: RoutingApplication, clock: Clock
) -> None:
    available(app, clock, "alice")
    app.receive(interaction(1, channel="voice"), track())
    app.receive(interaction(2, channel="voice"), track())
    first = offer_of(app, "alice")
    contact = app.accept(first)
    assert contact.status == "accepted"
    assert app.offers_for("alice") == []  # busy: capacity one
    clock.advance(30)
    app.complete(contact.contact_id, "solved")
    [offer] = app.offers_for("alice")
    assert offer.contact_id == contact_id_for(interaction(2, channel="voice").interaction_id)


def test_going_away_withdraws_pending_offers(app: RoutingApplication, clock: Clock) -> None:
    available(app, clock, "alice", "bob")
    app.receive(interaction(1), track())
    offer_of(app, "alice")
    app.set_status("alice", "away")
    assert app.offers_for("alice") == []
    assert offer_of(app, "bob")


def test_contact_waits_until_someone_is_available(app: RoutingApplication, clock: Clock) -> None:
    app.receive(interaction(1), track())
    assert app.offers_for("alice") == []
    assert app.contact(contact_id_for(interaction(1).interaction_id)).status == "waiting"
    available(app, clock, "alice")
    assert offer_of(app, "alice")


def test_waiting_too_long_goes_to_the_queue_supervisor(
    app: RoutingApplication, clock: Clock
) -> None:
    app.receive(interaction(1), track())
    contact_id = contact_id_for(interaction(1).interaction_id)
    clock.advance(120)
    app.wait_expired(contact_id, Tracking("stream:TIMERS", 1))
    [offer] = app.offers_for("sam")
    assert offer.escalation_level == 1


def test_the_same_message_twice_is_recognised(app: RoutingApplication) -> None:
    t = track()
    assert not app.is_processed(t)
    app.receive(interaction(1), t)
    assert app.is_processed(t)
    with pytest.raises(IntegrityError):
        app.receive(interaction(1), t)


def test_a_channel_retry_after_the_dedupe_window_opens_no_second_contact(
    app: RoutingApplication,
) -> None:
    app.receive(interaction(1), track())
    before = app.recorder.max_notification_id()
    app.receive(interaction(1), track())
    assert app.recorder.max_notification_id() == before


def test_late_deadline_and_bad_commands(app: RoutingApplication, clock: Clock) -> None:
    available(app, clock, "alice")
    app.receive(interaction(1), track())
    contact_id = contact_id_for(interaction(1).interaction_id)
    offer = offer_of(app, "alice")
    app.accept(offer)
    before = app.recorder.max_notification_id()
    app.expire(contact_id, offer, Tracking("stream:TIMERS", 9))  # fired after the accept
    assert app.recorder.max_notification_id() == before
    with pytest.raises(ContactError):
        app.accept(offer)
    with pytest.raises(NotFound):
        app.accept(uuid.uuid4())
    with pytest.raises(NotFound):
        app.set_status("nobody", "available")
    app.receive(interaction(2), track())
    with pytest.raises(ContactError):  # not accepted by anyone
        app.complete(contact_id_for(interaction(2).interaction_id), "done")


def test_caller_hanging_up_abandons_the_contact(app: RoutingApplication, clock: Clock) -> None:
    available(app, clock, "alice")
    call = interaction(1, channel="voice")
    app.receive(call, track())
    offer_of(app, "alice")
    hang_up(app, call)
    contact_id = contact_id_for(call.interaction_id)
    assert app.contact(contact_id).status == "abandoned"
    assert app.offers_for("alice") == []


INTERNAL = {"Contact.RoutingDecided", "Contact.Identified"}  # routing's own bookkeeping


def test_every_contact_event_has_a_contract_with_a_stable_id(
    app: RoutingApplication, clock: Clock
) -> None:
    available(app, clock, "alice", "bob")
    app.receive(interaction(1), track())
    app.decline(offer_of(app, "alice"))
    contact = app.accept(offer_of(app, "bob"))
    app.reply(contact.contact_id, "hello")
    app.complete(contact.contact_id, "solved")
    notifications = app.recorder.select_notifications(start=None, limit=100)
    kinds = []
    statuses: list[tuple[str, str]] = []
    for n in notifications:
        event = app.mapper.to_domain_event(n)
        contract = to_contract(event)
        name = type(event).__qualname__
        if name == "Agent.StatusChanged":
            assert contract is not None and contract.type_name() == "AgentStatusChanged"
            statuses.append((contract.agent_id, contract.status))  # type: ignore[attr-defined]
        elif name.startswith("Contact.") and name not in INTERNAL:
            assert contract is not None
            assert contract == to_contract(app.mapper.to_domain_event(n))  # same id each time
            kinds.append(contract.type_name())
        else:
            assert contract is None
    assert kinds == [
        "ContactOpened",
        "ContactQueued",
        "AgentOffered",
        "OfferDeclined",
        "AgentOffered",
        "OfferAccepted",
        "ReplyRequested",
        "ContactCompleted",
    ]
    assert statuses == [("alice", "available"), ("bob", "available")]


def test_each_decision_says_who_was_considered_and_why(
    app: RoutingApplication, clock: Clock
) -> None:
    app.receive(interaction(1), track())
    contact_id = contact_id_for(interaction(1).interaction_id)
    available(app, clock, "alice", "bob")
    app.set_status("bob", "away")
    [waited, offered] = app.decisions(contact_id)
    assert (waited.step, waited.reason) == ("wait", "no agent available")
    assert {c.agent_id: c.verdict for c in waited.candidates} == {
        "alice": "skipped: offline",
        "bob": "skipped: offline",
    }
    assert (offered.step, offered.target) == ("offer", "alice")
    assert [c.verdict for c in offered.candidates] == [
        "chosen: least busy, longest idle",
        "skipped: offline",
    ]
    app.decline(offer_of(app, "alice"))
    last = app.decisions(contact_id)[-1]
    assert (last.step, last.target) == ("escalate", "sam")
    assert {c.agent_id: c.verdict for c in last.candidates} == {
        "alice": "skipped: already offered this contact",
        "bob": "skipped: away",
    }


def test_queue_statistics_fold_from_the_store(app: RoutingApplication, clock: Clock) -> None:
    from services.routing.queue_stats import QueueStatsProjection

    available(app, clock, "alice")
    app.receive(interaction(1), track())  # offered to alice at once ...
    clock.advance(5)
    first = app.accept(offer_of(app, "alice"))  # ... taken after 5 s
    app.receive(interaction(2), track())  # waits: alice is busy
    clock.advance(40)
    app.complete(first.contact_id, "done")  # alice is free: contact 2 is offered
    clock.advance(1)
    app.accept(offer_of(app, "alice"))  # taken after 41 s, over a 20 s SLA
    call = interaction(3, channel="voice")
    app.receive(call, track())
    hang_up(app, call)
    projection = QueueStatsProjection({"default": 20})
    for n in app.recorder.select_notifications(start=None, limit=1000):
        projection.apply(n.id, app.mapper.to_domain_event(n))
    totals = projection.totals["default"]
    assert (totals.queued, totals.offered, totals.accepted, totals.abandoned, totals.completed) == (
        3,
        2,
        2,
        1,
        1,
    )
    assert totals.average_speed_of_answer == pytest.approx((5 + 41) / 2)
    assert totals.service_level() == pytest.approx(1 / 3)  # one of two answered in time, one lost
    waiting, longest, by_status, busy = app.queue_now("default")
    assert (waiting, longest, by_status, busy) == (0, None, {"available": 1, "offline": 1}, 1)


def test_capacity_per_kind_of_work(app: RoutingApplication, clock: Clock) -> None:
    available(app, clock, "alice")
    for n in range(4):
        app.receive(interaction(n), track())  # web forms: written conversations, 3 at once
    assert len(app.offers_for("alice")) == 3
    for offer in app.offers_for("alice"):
        app.accept(offer.offer_id)
    app.receive(interaction(10, channel="email"), track())  # e-mail has its own 5
    assert [o.channel for o in app.offers_for("alice")] == ["email"]
    app.receive(interaction(20, channel="voice"), track())  # a call needs her free
    assert [o.channel for o in app.offers_for("alice")] == ["email"]


def test_a_call_blocks_everything_else(app: RoutingApplication, clock: Clock) -> None:
    available(app, clock, "alice")
    app.receive(interaction(1, channel="voice"), track())
    app.accept(offer_of(app, "alice"))
    app.receive(interaction(2), track())
    app.receive(interaction(3, channel="email"), track())
    assert app.offers_for("alice") == []


def test_work_goes_to_the_least_busy_agent_first(app: RoutingApplication, clock: Clock) -> None:
    available(app, clock, "alice", "bob")  # alice idle longer
    app.receive(interaction(1), track())
    app.receive(interaction(2), track())
    assert [len(app.offers_for(a)) for a in ("alice", "bob")] == [1, 1]


def test_an_agent_who_stops_answering_is_taken_offline_and_flagged(
    app: RoutingApplication, clock: Clock
) -> None:
    available(app, clock, "alice", "bob")
    app.receive(interaction(1, channel="voice"), track())
    held = app.accept(offer_of(app, "alice"))
    app.set_status("bob", "away")
    app.receive(interaction(2), track())  # alice is on a call: it waits
    app.set_status("bob", "available")
    waiting = offer_of(app, "bob")
    app.presence_lost("bob", Tracking("stream:TIMERS", 1))
    assert app.offers_for("bob") == []
    assert app.contact(contact_id_for(interaction(2).interaction_id)).status == "waiting"
    assert {a.agent_id: a.status for a in app.agents()}["bob"] == "offline"
    app.presence_lost("alice", Tracking("stream:TIMERS", 2))
    flagged = [
        to_contract(app.mapper.to_domain_event(n))
        for n in app.recorder.select_notifications(start=None, limit=1000)
        if type(app.mapper.to_domain_event(n)).__qualname__ == "Contact.Flagged"
    ]
    assert [(f.contact_id, f.supervisor_id) for f in flagged] == [(held.contact_id, "sam")]  # type: ignore[union-attr]
    assert waiting is not None
