"""Request types: decided by rules when a contact opens (form field, channel attribute,
keywords), sending it to the type's queue, carried to the SLA service with the queueing,
changeable by the holder; bad config refused with the field named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from events import ContactQueued, InboundEvent, InteractionReceived, Sender, contact_id_for
from schemas.config import QueueConfig, RoutingConfig
from schemas.request_types import RequestType
from services.routing.application import NotYours
from services.routing.contact import InvalidRequest
from services.routing.contracts import to_contract
from services.routing.request_types import classify
from tests.support.clock import Clock
from tests.unit.test_routing_queues import available, routing, track

TYPES = [
    RequestType(name="complaint", keywords=["refund", "unacceptable"], queue="complaints"),
    RequestType(name="sales-lead", match='attributes.form_kind == "quote"'),
    RequestType(name="error", match='channel == "api"', keywords=["error", "crash"]),
    RequestType(name="question", match='channel == "webform"'),
]
# A type names its queue, or a queue's rule names the type.
QUEUES = [
    QueueConfig(name="complaints", match="False"),
    QueueConfig(name="sales", match='request_type == "sales-lead"'),
]


def facts(channel: str = "webform", **attributes: str) -> dict[str, object]:
    return {"channel": channel, "attributes": attributes}


def test_rules_keywords_and_order() -> None:
    assert classify(TYPES, facts(), "Refunded?", "I want my money") == "complaint"
    assert classify(TYPES, facts(), None, "This is UNACCEPTABLE.") == "complaint"
    assert classify(TYPES, facts(form_kind="quote"), None, "price for 10 seats") == "sales-lead"
    assert classify(TYPES, facts("api"), None, "the app crashes on start") == "error"
    assert classify(TYPES, facts("api"), None, "how do I export?") is None
    assert classify(TYPES, facts(), None, "how do I export?") == "question"
    # Keywords match at a word's start only: "prefund" is not "refund".
    assert classify(TYPES, facts("api"), None, "prefund") is None


def interaction(n: int, text: str, **attributes: str) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("webform", "src", f"r{n}"),
        channel="webform",
        source="src",
        external_id=f"r{n}",
        sender=Sender(email=f"r{n}@example.com"),
        text=text,
        attributes=attributes,
    )


def test_the_type_picks_the_queue_and_travels_with_the_queueing() -> None:
    clock = Clock()
    app = routing(clock, queues=QUEUES, request_types=TYPES)
    app.receive(interaction(1, "I want a refund"), track())
    app.receive(interaction(2, "a quote please", form_kind="quote"), track())
    first = contact_id_for(interaction(1, "").interaction_id)
    second = contact_id_for(interaction(2, "").interaction_id)
    assert app.contact(first).queue == "complaints"
    assert app.contact(first).request_type == "complaint"
    assert (app.contact(second).queue, app.contact(second).request_type) == (
        "sales",
        "sales-lead",
    )
    published = [
        to_contract(app.mapper.to_domain_event(n))
        for n in app.recorder.select_notifications(1, 100)
    ]
    queued = [e for e in published if isinstance(e, ContactQueued)]
    assert [(e.queue, e.request_type) for e in queued] == [
        ("complaints", "complaint"),
        ("sales", "sales-lead"),
    ]


def test_the_holder_changes_the_type() -> None:
    clock = Clock()
    app = routing(clock, queues=QUEUES, request_types=TYPES)
    available(app, clock, "alice")
    app.receive(interaction(3, "how does it work?"), track())
    [offer] = app.offers_for("alice")
    app.accept(offer.offer_id, "alice")
    changed = app.change_request_type(offer.contact_id, "complaint", "alice")
    assert changed.facts["request_type"] == "complaint"
    assert app.contact(offer.contact_id).request_type == "complaint"
    with pytest.raises(InvalidRequest) as bad:
        app.change_request_type(offer.contact_id, "rant", "alice")
    assert bad.value.field == "request_type"
    with pytest.raises(NotYours):
        app.change_request_type(offer.contact_id, None, "bob")
    app.change_request_type(offer.contact_id, None, "alice")
    assert app.contact(offer.contact_id).request_type is None


def test_bad_types_are_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError, match=r"request_types.complaint.queue: unknown queue"):
        RoutingConfig(request_types=[RequestType(name="complaint", queue="nowhere")])
    with pytest.raises(ValidationError, match="duplicate name"):
        RoutingConfig(request_types=[RequestType(name="a"), RequestType(name="a")])
    with pytest.raises(ValidationError, match="unknown name 'tpoic'"):
        RequestType(name="x", match='tpoic == "billing"')
