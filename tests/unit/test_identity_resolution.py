"""History: one customer behind many identities, with plain calls on an in-memory store."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import Tracking

from events import ContactQueued, InboundEvent, InteractionReceived, Sender, contact_id_for
from schemas.identity import InvalidIdentity, identities, normalize_email, normalize_phone
from services.history.application import CustomerNotFound, HistoryApplication
from services.history.timeline import TimelineRow, changes_for
from switchboard.inbox import NotYet
from tests.support.identities import vouched

positions = iter(range(1, 10_000))


@pytest.fixture
def app() -> HistoryApplication:
    return HistoryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def received(n: int, channel: str = "email", **sender: str) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for(channel, "src", f"m{n}"),
        channel=channel,
        source="src",
        external_id=f"m{n}",
        sender=Sender.model_validate(sender),
        text=f"message {n}",
    )


def record(app: HistoryApplication, event: InteractionReceived) -> None:
    app.record_interaction(event, Tracking("stream:INBOUND", next(positions)))


def test_the_same_person_across_channels_is_one_customer(app: HistoryApplication) -> None:
    record(app, received(1, email="ana@example.com", name="Ana"))
    record(app, received(2, channel="sms", phone="+4915112345678"))
    assert app.find("email:ana@example.com") != app.find("phone:+4915112345678")
    # A signed message with a known and a new identity ties the new one to the customer
    # (a web form's would not: tests/security/test_verified_identities.py)
    record(
        app, vouched(received(3, channel="api", email="ana@example.com", phone="+4915100000001"))
    )
    card = app.find("phone:+4915100000001")
    assert card is not None
    assert card == app.find("email:ana@example.com")
    assert card.name == "Ana"
    assert sorted(card.identities) == ["email:ana@example.com", "phone:+4915100000001"]


def test_different_people_are_different_customers(app: HistoryApplication) -> None:
    record(app, received(1, email="a@example.com"))
    record(app, received(2, email="b@example.com"))
    a, b = app.find("email:a@example.com"), app.find("email:b@example.com")
    assert a is not None and b is not None and a.customer_id != b.customer_id
    with pytest.raises(CustomerNotFound):
        app.card(contact_id_for(received(1).interaction_id))


def test_routing_events_wait_for_their_interaction(app: HistoryApplication) -> None:
    interaction = received(1, email="a@example.com")
    queued = ContactQueued(
        contact_id=contact_id_for(interaction.interaction_id),
        interaction_id=interaction.interaction_id,
        channel="email",
        queue="default",
        priority=0,
    )
    with pytest.raises(NotYet):
        app.record_contact_event(queued, Tracking("routing", 1))
    record(app, interaction)
    app.record_contact_event(queued, Tracking("routing", 1))
    rows = [
        change
        for n in app.recorder.select_notifications(start=None, limit=100)
        for change in changes_for(n.id, app.mapper.to_domain_event(n))
        if isinstance(change, TimelineRow)
    ]
    kinds = [r.kind for r in rows]
    assert kinds == ["InteractionReceived", "ContactQueued"]


def test_a_duplicate_interaction_records_nothing(app: HistoryApplication) -> None:
    record(app, received(1, email="a@example.com"))
    before = app.recorder.max_notification_id()
    record(app, received(1, email="a@example.com"))
    assert app.recorder.max_notification_id() == before


def test_identities_are_normalized() -> None:
    assert normalize_phone("0151 1234 5678", "DE") == "+4915112345678"
    assert normalize_phone("+1 (415) 555-2671", "DE") == "+14155552671"
    assert normalize_email(" Ana@Bücher.DE ") == "ana@xn--bcher-kva.de"
    for bad in ("call me", "12", ""):
        with pytest.raises(InvalidIdentity):
            normalize_phone(bad, "DE")
    with pytest.raises(InvalidIdentity):
        normalize_email("not-an-address")
    assert identities(email="a@b.c", phone="+1", handle="telegram:9") == [
        "email:a@b.c",
        "phone:+1",
        "telegram:9",
    ]
