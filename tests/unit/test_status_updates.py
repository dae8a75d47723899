"""Status updates to customers: assigned, waiting on you, resolved, each once, worded per
request type, through the customer's channel as automatic replies; STOP ends them."""

from __future__ import annotations

import itertools

from eventsourcing.persistence import Tracking

from events import ALL_EVENTS, InboundEvent, InteractionReceived, ReplyRequested, Sender
from schemas.request_types import RequestType, StatusUpdates
from services.routing.application import RoutingApplication
from services.routing.contracts import to_contract
from services.routing.status_updates import FOLLOWED, follow
from tests.support.clock import Clock
from tests.unit.test_routing_queues import available, routing, track

positions = itertools.count(1)


def sms(n: int, text: str) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("sms", "AC1", f"SU{n}"),
        channel="sms",
        source="AC1",
        external_id=f"SU{n}",
        sender=Sender(phone="+4915112345678"),
        text=text,
        conversation_key="sms:+4930123456:+4915112345678",
    )


class Follower:
    """Feeds routing's published events back to it, as its own consumer does."""

    def __init__(self, app: RoutingApplication) -> None:
        self.app = app
        self.read = 0
        self.told: list[str] = []

    def drain(self) -> None:
        while batch := self.app.recorder.select_notifications(self.read + 1, 50):
            for record in batch:
                self.read = record.id
                contract = to_contract(self.app.mapper.to_domain_event(record))
                if isinstance(contract, ReplyRequested) and contract.automatic:
                    self.told.append(contract.text)
                elif contract is not None:
                    follow(self.app, contract, Tracking("routing>self", next(positions)))


def test_stages_are_told_until_the_customer_says_stop() -> None:
    clock = Clock()
    types = [
        RequestType(
            name="complaint", keywords=["broken"], messages={"assigned": "{agent} has {reference}"}
        )
    ]
    app = routing(clock, request_types=types, status_updates=StatusUpdates())
    me = Follower(app)
    available(app, clock, "alice")
    app.receive(sms(1, "my kettle is broken"), track())
    [offer] = app.offers_for("alice")
    app.accept(offer.offer_id, "alice")
    me.drain()
    assert len(me.told) == 1 and me.told[0].startswith("A has A-")  # the type's wording
    app.set_pending(offer.contact_id, "alice")
    me.drain()
    assert me.told[1].startswith("To go on with your request A-")
    me.drain()
    assert len(me.told) == 2, "each stage once"

    app.receive(sms(2, "STOP"), track())
    me.drain()
    app.complete(offer.contact_id, "resolved")
    me.drain()
    assert len(me.told) == 2, "nothing after STOP"
    assert app.contact(offer.contact_id).status == "completed"


def test_nothing_is_told_without_the_setting_or_on_other_channels() -> None:
    clock = Clock()
    app = routing(clock, status_updates=StatusUpdates(channels=["email"]))
    me = Follower(app)
    available(app, clock, "alice")
    app.receive(sms(3, "hello"), track())
    [offer] = app.offers_for("alice")
    app.accept(offer.offer_id, "alice")
    app.complete(offer.contact_id, "resolved")
    me.drain()
    assert me.told == []


def test_its_consumer_takes_every_event_it_acts_on() -> None:
    """routing-status-updates takes only FOLLOWED of routing's events: `follow` must do
    nothing with any other (an event acted on but left out would never arrive)."""
    clock = Clock()
    app = routing(clock, status_updates=StatusUpdates())
    available(app, clock, "alice")
    app.receive(sms(4, "hello"), track())
    [offer] = app.offers_for("alice")
    others = [
        e for e in ALL_EVENTS if e.subject.startswith("sb.events.routing.") and e not in FOLLOWED
    ]
    assert len(others) > 10
    for kind in others:
        event = kind.model_construct(contact_id=offer.contact_id, automatic=False, summary="STOP")
        assert follow(app, event, Tracking("routing>self", next(positions))) is False, kind
