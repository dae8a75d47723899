"""Queues, skills, priority, sticky routing and the configurable ladder, driven through the
routing application with plain calls (in-memory store, controllable clock)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from eventsourcing.persistence import Tracking

from events import (
    ContactOpened,
    CustomerIdentified,
    InboundEvent,
    InteractionReceived,
    Sender,
    contact_id_for,
)
from schemas.config import LadderStep, Person, QueueConfig, RoutingConfig
from services.routing.application import NotYours, RoutingApplication
from services.routing.contact import ContactError
from services.routing.contracts import to_contract
from switchboard.settings import Settings
from switchboard.store import event_store_env
from tests.support.clock import Clock

PEOPLE = [
    Person(id="alice", name="A", supervisor="sam", skills={"billing": 2}, languages=["de", "en"]),
    Person(id="bob", name="B", supervisor="sam", skills={"billing": 5}, languages=["en"]),
    Person(id="carl", name="C", supervisor="sam", languages=["en"]),
    Person(id="sam", name="S", role="supervisor", supervisor="hana"),
    Person(id="hana", name="H", role="supervisor"),
]
BILLING = QueueConfig(
    name="billing",
    match="topic == 'billing'",
    agents="skills.billing >= 1",
    strategy="best-skill",
    skill="billing",
)
GERMAN = QueueConfig(name="german", match="language == 'de'", agents="'de' in languages")


positions = iter(range(1, 1_000_000))


def track() -> Tracking:
    return Tracking("stream:INBOUND", next(positions))


def routing(
    clock: Clock, env: dict[str, str] | None = None, **config: object
) -> RoutingApplication:
    settings = {"offer_timeout_seconds": 20, "identify_timeout_seconds": 0, **config}
    return RoutingApplication(
        PEOPLE,
        RoutingConfig.model_validate(settings),
        queue_supervisor="sam",
        clock=clock,
        env=env or {"PERSISTENCE_MODULE": "eventsourcing.popo"},
    )


def interaction(n: int, channel: str = "webform", **attributes: str) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for(channel, "src", f"q{n}"),
        channel=channel,
        source="src",
        external_id=f"q{n}",
        sender=Sender(email=f"c{n}@example.com"),
        text=f"question {n}",
        attributes=attributes,
    )


def contact_of(n: int, channel: str = "webform") -> uuid.UUID:
    return contact_id_for(interaction(n, channel).interaction_id)


def available(app: RoutingApplication, clock: Clock, *agents: str) -> None:
    for a in agents:
        app.set_status(a, "available")
        clock.advance(1)


def offered(app: RoutingApplication) -> dict[str, list[uuid.UUID]]:
    names = ("alice", "bob", "carl", "sam", "hana")
    return {a: [o.contact_id for o in app.offers_for(a)] for a in names if app.offers_for(a)}


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_each_contact_goes_to_the_first_queue_that_matches(clock: Clock) -> None:
    app = routing(clock, queues=[BILLING, GERMAN])
    app.receive(interaction(1, topic="billing"), track())
    app.receive(interaction(2, language="de"), track())
    app.receive(interaction(3), track())
    assert [app.contact(contact_of(n)).queue for n in (1, 2, 3)] == ["billing", "german", "default"]
    assert app.waiting_counts() == {"billing": 1, "german": 1, "default": 1}


def test_only_the_queues_agents_are_offered_and_the_decision_says_why(clock: Clock) -> None:
    app = routing(clock, queues=[BILLING])
    available(app, clock, "carl")  # no billing skill
    app.receive(interaction(1, topic="billing"), track())
    assert offered(app) == {}
    [wait] = app.decisions(contact_of(1))
    assert {c.agent_id: c.verdict for c in wait.candidates}["carl"] == (
        "skipped: not one of this queue's agents (skills, languages)"
    )
    available(app, clock, "alice")
    assert offered(app) == {"alice": [contact_of(1)]}


def test_best_skill_offers_to_the_most_skilled_first(clock: Clock) -> None:
    app = routing(clock, queues=[BILLING])
    available(app, clock, "alice", "bob")  # alice idle longer, bob more skilled
    app.receive(interaction(1, topic="billing"), track())
    assert offered(app) == {"bob": [contact_of(1)]}
    assert app.decisions(contact_of(1))[-1].reason == "highest skill level"


def test_a_vip_is_served_before_those_who_waited_longer(clock: Clock) -> None:
    app = routing(clock, identify_timeout_seconds=2)
    app.receive(interaction(1, channel="voice"), track())  # nobody is available: both wait
    clock.advance(5)
    app.receive(interaction(2, channel="voice"), track())
    app.identified(identify(1, channel="voice"), track())
    app.identified(identify(2, tier="vip", channel="voice"), track())
    assert [app.contact(contact_of(n, "voice")).priority for n in (1, 2)] == [0, 10]
    available(app, clock, "alice")  # a call takes her whole: she gets one, the VIP's
    assert offered(app) == {"alice": [contact_of(2, "voice")]}


def identify(
    n: int, tier: str | None = None, last_agent: str | None = None, channel: str = "webform"
) -> CustomerIdentified:
    return CustomerIdentified(
        customer_id=uuid.uuid5(uuid.NAMESPACE_URL, f"customer{n}"),
        interaction_id=interaction(n, channel).interaction_id,
        contact_id=contact_of(n, channel),
        identities=[f"email:c{n}@example.com"],
        is_new_customer=False,
        tier=tier,
        last_agent_id=last_agent,
    )


def test_routing_waits_for_the_customer_then_goes_without(clock: Clock) -> None:
    app = routing(clock, identify_timeout_seconds=2)
    available(app, clock, "alice")
    app.receive(interaction(1), track())
    app.receive(interaction(2), track())
    assert offered(app) == {}  # who are they? history is asked first
    opened = [
        to_contract(app.mapper.to_domain_event(n))
        for n in app.recorder.select_notifications(None, 50)
    ]
    assert [e.identify_by for e in opened if isinstance(e, ContactOpened)] == [
        clock.now + timedelta(seconds=2)
    ] * 2
    app.identified(identify(1), track())
    assert offered(app) == {"alice": [contact_of(1)]}
    app.identify_expired(contact_of(2), Tracking("stream:TIMERS", 1))  # history is silent
    assert offered(app) == {"alice": [contact_of(1), contact_of(2)]}
    app.identified(identify(2), track())  # late: recorded, routing goes on as it was
    assert app.contact(contact_of(2)).customer_id is not None


def test_history_may_answer_before_routing_has_the_contact(clock: Clock) -> None:
    app = routing(clock, identify_timeout_seconds=2)
    available(app, clock, "alice", "bob")
    app.identified(identify(1, tier="vip", last_agent="bob"), track())  # the streams race
    app.identified(identify(1, tier="vip", last_agent="bob"), track())  # and may repeat
    app.receive(interaction(1), track())  # no wait for history: it has spoken
    [offer] = app.offers_for("bob")
    assert offer.sticky and app.contact(contact_of(1)).priority == 10


def test_a_returning_customer_is_offered_to_their_last_agent_first(clock: Clock) -> None:
    app = routing(clock, identify_timeout_seconds=2, sticky_timeout_seconds=8)
    available(app, clock, "alice", "bob")  # alice has waited longer
    app.receive(interaction(1), track())
    app.identified(identify(1, last_agent="bob"), track())
    [offer] = app.offers_for("bob")
    assert offer.sticky and offer.expires_at == clock.now + timedelta(seconds=8)
    app.expire(contact_of(1), offer.offer_id, Tracking("stream:TIMERS", 1))
    [usual] = app.offers_for("alice")
    assert not usual.sticky and usual.expires_at == clock.now + timedelta(seconds=20)


def test_the_ladder_widens_to_an_overflow_queue_then_climbs(clock: Clock) -> None:
    narrow = BILLING.model_copy(
        update={
            "strategy": "least-busy",
            "agents": "skills.billing >= 5",
            "ladder": (
                LadderStep(step="agents", tries=1),
                LadderStep(step="overflow", queue="default", tries=1),
                LadderStep(step="supervisor", levels=1),
            ),
        }
    )
    app = routing(clock, queues=[narrow])
    available(app, clock, "carl", "alice", "bob")
    app.receive(interaction(1, topic="billing"), track())
    contact = contact_of(1)
    [first] = app.offers_for("bob")  # the only expert
    app.decline(first.offer_id)
    [second] = app.offers_for("carl")  # widened: anyone of the default queue, idle longest
    widened = app.contact(contact)
    assert (widened.escalation_level, widened.priority) == (1, 1)
    app.decline(second.offer_id)
    [to_sam] = app.offers_for("sam")
    assert to_sam.expires_at is None  # levels=1: sam keeps it
    escalations = [
        to_contract(app.mapper.to_domain_event(n))
        for n in app.recorder.select_notifications(None, 500)
        if type(app.mapper.to_domain_event(n)).__qualname__ == "Contact.Escalated"
    ]
    assert [(e.step, e.level, e.to_person_id) for e in escalations] == [  # type: ignore[union-attr]
        ("overflow", 1, "sam"),
        ("supervisor", 2, "sam"),
    ]


def test_supervisors_requeue_and_assign(clock: Clock) -> None:
    app = routing(clock)
    available(app, clock, "alice", "bob")
    app.receive(interaction(1), track())
    [offer] = app.offers_for("alice")
    app.decline(offer.offer_id)
    app.decline(app.offers_for("bob")[0].offer_id)
    assert offered(app) == {"sam": [contact_of(1)]}
    app.requeue(contact_of(1), by="sam")  # the ladder starts over
    assert offered(app) == {"alice": [contact_of(1)]}
    app.assign(contact_of(1), "bob", by="sam")
    assert offered(app) == {"bob": [contact_of(1)]}
    app.set_status("carl", "away")
    with pytest.raises(ContactError):
        app.assign(contact_of(1), "carl", by="sam")
    app.accept(app.offers_for("bob")[0].offer_id)
    with pytest.raises(ContactError):
        app.requeue(contact_of(1), by="sam")


def test_a_contact_tried_once_and_then_left_waiting_still_reaches_the_supervisor(
    clock: Clock,
) -> None:
    app = routing(clock, max_wait_seconds=60)
    available(app, clock, "alice")
    app.receive(interaction(1), track())
    app.set_status("alice", "away")  # withdrawn: back to waiting, nobody free
    clock.advance(60)
    app.wait_expired(contact_of(1), Tracking("stream:TIMERS", 1))
    assert offered(app) == {"sam": [contact_of(1)]}


def test_replicas_on_one_store_see_each_others_decisions(clock: Clock, tmp_path: Path) -> None:
    env = event_store_env(Settings(data_dir=tmp_path), "routing")
    one, two = routing(clock, env=env), routing(clock, env=env)
    available(one, clock, "alice")
    two.receive(interaction(1, "voice"), track())  # two learns from the store: alice is free
    assert [o.contact_id for o in one.offers_for("alice")] == [contact_of(1, "voice")]
    one.receive(interaction(2, "voice"), track())  # alice is taken: it waits
    two.set_status("bob", "available")  # two offers one's waiting contact to bob
    assert [o.contact_id for o in one.offers_for("bob")] == [contact_of(2, "voice")]
    one.close()
    two.close()


def test_a_contact_can_be_transferred_again_and_again(clock: Clock) -> None:
    app = routing(clock, queues=[BILLING])
    available(app, clock, "carl", "alice", "bob")
    app.receive(interaction(1), track())  # default queue: carl, idle longest
    held = app.accept(app.offers_for("carl")[0].offer_id)
    moved = app.transfer(held.contact_id, "carl", to_queue="billing", reason="a billing question")
    assert (moved.status, moved.queue) == ("offered", "billing")
    assert offered(app) == {"bob": [contact_of(1)]}  # best billing skill
    app.accept(app.offers_for("bob")[0].offer_id)
    with pytest.raises(NotYours):
        app.transfer(held.contact_id, "carl", to_agent="alice")  # carl no longer holds it
    again = app.transfer(held.contact_id, "bob", to_agent="alice")
    assert again.agent_id == "alice" and offered(app) == {"alice": [contact_of(1)]}
    app.accept(app.offers_for("alice")[0].offer_id)
    back = app.transfer(held.contact_id, "alice", to_queue="default")
    # not back to alice, who passed it on; bob and carl are free again
    assert back.agent_id in ("bob", "carl") and contact_of(1) not in offered(app).get("alice", [])
    kinds = [
        c.type_name()
        for n in app.recorder.select_notifications(None, 500)
        if (c := to_contract(app.mapper.to_domain_event(n))) is not None
    ]
    assert kinds.count("ContactTransferred") == 3


def test_a_supervisor_cancels_a_contact_nobody_should_take(clock: Clock) -> None:
    app = routing(clock)
    available(app, clock, "alice")
    app.receive(interaction(1), track())
    app.cancel(contact_of(1), by="sam", reason="spam")
    assert app.contact(contact_of(1)).status == "cancelled" and offered(app) == {}
    with pytest.raises(ContactError):
        app.cancel(contact_of(1), by="sam", reason="twice")


def test_erasing_a_customer_closes_and_seals_their_contacts(clock: Clock) -> None:
    app = routing(clock)
    available(app, clock, "alice")
    ana = identify(1).customer_id
    for n in (1, 2, 3):  # 1 and 2 are Ana's, 3 someone else's
        app.receive(interaction(n, "voice"), track())
        who = identify(n, channel="voice")
        app.identified(who.model_copy(update={"customer_id": ana}) if n < 3 else who, track())
    app.accept(app.offers_for("alice")[0].offer_id)  # alice has Ana's first call on the line
    erased = app.erase_customer(ana, Tracking("history", 1))
    assert set(erased) == {contact_of(1, "voice"), contact_of(2, "voice")}
    unreadable = {
        n.originator_id
        for n in app.recorder.select_notifications(None, 1000)
        if type(app.mapper.to_domain_event(n)).__name__ == "ErasedPersonalData"
    }
    assert unreadable == set(erased)  # every event of Ana's contacts, and nothing else
    assert app.waiting_counts()["default"] == 0
    assert [o.contact_id for o in app.offers_for("alice")] == [contact_of(3, "voice")]
    assert set(app.erase_customer(ana, Tracking("history", 2))) == set(erased)  # again: nothing
