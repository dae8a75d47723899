"""Conversations as the unit of work, through the routing application with plain calls
(in-memory store, a clock moved by hand): one contact per conversation, states an agent
uses, reopening, the transcript."""

from __future__ import annotations

import uuid
from datetime import timedelta
from itertools import count

import pytest
from eventsourcing.persistence import Tracking

from events import CustomerIdentified, InboundEvent, InteractionReceived, Sender, contact_id_for
from schemas.config import Person, RoutingConfig
from services.routing.application import NotYours, RoutingApplication
from services.routing.contact import ContactError, InvalidRequest
from services.routing.contracts import to_contract
from tests.support.clock import Clock

PEOPLE = [
    Person(id="alice", name="A", supervisor="sam", capacity={"messaging": 1, "email": 1}),
    Person(id="bob", name="B", supervisor="sam"),
    Person(id="sam", name="S", role="supervisor"),
]
positions = count(1)
external_ids = count(1)


def track() -> Tracking:
    return Tracking("stream:INBOUND", next(positions))


def routing(clock: Clock, **config: object) -> RoutingApplication:
    settings = {"offer_timeout_seconds": 20, "identify_timeout_seconds": 0, **config}
    return RoutingApplication(
        PEOPLE,
        RoutingConfig.model_validate(settings),
        queue_supervisor="sam",
        clock=clock,
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
    )


def sms(phone: str, text: str, to: str = "+4930111") -> InteractionReceived:
    external = f"SM{next(external_ids)}"
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("sms", "AC1", external),
        channel="sms",
        source="AC1",
        external_id=external,
        sender=Sender(phone=phone),
        text=text,
        conversation_key=f"sms:{to}:{phone}",
    )


def mail(
    sender: str, subject: str, root: str | None = None, **attributes: str
) -> InteractionReceived:
    message_id = f"<m{next(external_ids)}@customer>"
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("email", "support@shop", message_id),
        channel="email",
        source="support@shop",
        external_id=message_id,
        sender=Sender(email=sender),
        subject_line=subject,
        text=f"about {subject}",
        conversation_key=f"email:{root or message_id}",
        attributes=attributes,
    )


def opened(app: RoutingApplication, message: InteractionReceived) -> uuid.UUID:
    app.receive(message, track())
    return contact_id_for(message.interaction_id)


def accept_all(app: RoutingApplication, agent: str) -> None:
    for offer in app.offers_for(agent):
        app.accept(offer.offer_id, agent)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_three_messages_of_a_chat_are_one_contact_and_one_offer(clock: Clock) -> None:
    app = routing(clock)
    app.set_status("alice", "available")
    first = opened(app, sms("+4915100001", "Hi"))
    for text in ("my invoice 4411 is wrong", "it charges me twice"):
        clock.advance(2)
        app.receive(sms("+4915100001", text), track())
    [offer] = app.offers_for("alice")
    assert offer.contact_id == first
    assert offer.summary == "it charges me twice"
    view = app.contact(first)
    assert view.message_count == 3
    assert view.waiting_since == clock.now - timedelta(seconds=4)  # age from the first


def test_a_message_to_a_held_chat_goes_to_its_holder_not_the_queue(clock: Clock) -> None:
    app = routing(clock)
    app.set_status("alice", "available")
    first = opened(app, sms("+4915100001", "Hi"))
    accept_all(app, "alice")
    app.set_status("bob", "available")
    app.receive(sms("+4915100001", "are you there?"), track())
    view = app.contact(first)
    assert (view.status, view.agent_id, view.unread, view.message_count) == (
        "accepted",
        "alice",
        1,
        2,
    )
    assert app.waiting_counts() == {"default": 0}
    assert app.offers_for("bob") == []
    app.mark_read(first, "alice")
    assert app.contact(first).unread == 0


def test_threads_are_per_identity_and_business_endpoint(clock: Clock) -> None:
    app = routing(clock)
    a = opened(app, sms("+4915100001", "one"))
    b = opened(app, sms("+4915100002", "another customer"))
    c = opened(app, sms("+4915100001", "to our other number", to="+4930222"))
    assert len({a, b, c}) == 3
    assert app.waiting_counts() == {"default": 3}


def test_an_email_reply_joins_its_thread_and_a_new_subject_opens_a_new_contact(
    clock: Clock,
) -> None:
    app = routing(clock)
    first_mail = mail("ann@example.com", "Invoice")
    first = opened(app, first_mail)
    app.receive(mail("ann@example.com", "Re: Invoice", root=first_mail.external_id), track())
    other = opened(app, mail("ann@example.com", "New order"))
    assert app.contact(first).message_count == 2
    assert other != first
    # Another customer quoting the same thread is not joined to Ann's conversation.
    stranger = opened(app, mail("eve@example.com", "Re: Invoice", root=first_mail.external_id))
    assert stranger not in (first, other)


def test_email_by_sender_joins_a_new_subject_when_configured(clock: Clock) -> None:
    app = routing(clock, conversations={"email": {"thread": "sender"}})
    first = opened(app, mail("ann@example.com", "Invoice"))
    app.receive(mail("ann@example.com", "New order"), track())
    assert app.contact(first).message_count == 2


def test_web_forms_and_calls_are_one_contact_each(clock: Clock) -> None:
    app = routing(clock)

    def form(n: int) -> InteractionReceived:
        return InteractionReceived(
            interaction_id=InboundEvent.id_for("webform", "contact-us", f"f{n}"),
            channel="webform",
            source="contact-us",
            external_id=f"f{n}",
            sender=Sender(email="ann@example.com"),
            text=f"form {n}",
        )

    assert opened(app, form(1)) != opened(app, form(2))


def test_a_reply_soon_after_resolving_reopens_it_with_the_same_agent_first(clock: Clock) -> None:
    app = routing(clock)
    app.set_status("alice", "available")
    app.set_status("bob", "available")
    first = opened(app, sms("+4915100001", "Hi"))
    holder = "alice" if app.offers_for("alice") else "bob"
    accept_all(app, holder)
    app.complete(first, "resolved", holder)
    with pytest.raises(ContactError):
        app.complete(first, "resolved", holder)  # resolving twice
    clock.advance(60)
    app.receive(sms("+4915100001", "one more thing"), track())
    view = app.contact(first)
    assert (view.status, view.agent_id, view.reopened) == ("offered", holder, 1)
    assert app.decisions(first)[-1].reason == "returning customer"


def test_after_the_reopen_window_a_new_contact_follows_the_old(clock: Clock) -> None:
    app = routing(clock)
    app.set_status("alice", "available")
    first = opened(app, sms("+4915100001", "Hi"))
    accept_all(app, "alice")
    app.complete(first, "resolved", "alice")
    clock.advance(601)
    second = opened(app, sms("+4915100001", "a new question"))
    assert second != first
    assert app.contact(second).follows == first
    assert app.contact(first).status == "completed"


def test_pending_frees_capacity_and_the_customer_answer_reopens_it(clock: Clock) -> None:
    app = routing(clock)
    app.set_status("alice", "available")
    first = opened(app, sms("+4915100001", "Hi"))
    accept_all(app, "alice")
    second = opened(app, sms("+4915100002", "Hello"))  # alice is full (1 chat)
    assert app.contact(second).status == "waiting"
    pending = app.set_pending(first, "alice")
    assert pending.conversation == "pending"
    assert app.contact(second).status == "offered"  # her freed place is filled at once
    with pytest.raises(ContactError):
        app.set_pending(first, "alice")
    app.receive(sms("+4915100001", "here is the photo"), track())
    view = app.contact(first)
    assert (view.conversation, view.unread) == ("open", 1)


def test_pending_unanswered_resolves_itself_with_a_reason(clock: Clock) -> None:
    app = routing(clock, conversations={"sms": {"pending_resolve_seconds": 3600}})
    app.set_status("alice", "available")
    first = opened(app, sms("+4915100001", "Hi"))
    accept_all(app, "alice")
    due = app.set_pending(first, "alice").resolve_at
    assert due == clock.now + timedelta(hours=1)
    app.conversation_due(first, due - timedelta(seconds=1), track())  # a stale schedule
    assert app.contact(first).status == "accepted"
    clock.advance(3600)
    app.conversation_due(first, due, track())
    assert app.contact(first).status == "completed"
    [completed] = [
        to_contract(e)
        for e in app.repository.event_store.get(first)
        if type(e).__qualname__ == "Contact.Completed"
    ]
    assert completed is not None
    assert completed.model_dump(include={"by", "disposition", "reason"}) == {
        "by": "routing",
        "disposition": "auto-resolved",
        "reason": "no answer from the customer in 3600s",
    }


def test_snooze_comes_back_to_the_holder_and_never_into_the_past(clock: Clock) -> None:
    app = routing(clock)
    app.set_status("alice", "available")
    first = opened(app, sms("+4915100001", "Hi"))
    accept_all(app, "alice")
    with pytest.raises(InvalidRequest) as past:
        app.snooze(first, clock.now - timedelta(minutes=1), "alice")
    assert past.value.field == "until"
    with pytest.raises(NotYours):
        app.snooze(first, clock.now + timedelta(hours=1), "bob")
    until = clock.now + timedelta(hours=1)
    assert app.snooze(first, until, "alice").conversation == "snoozed"
    clock.advance(3600)
    app.conversation_due(first, until, track())
    assert app.contact(first).conversation == "open"


def test_a_retried_message_outside_the_dedupe_window_is_not_doubled(clock: Clock) -> None:
    app = routing(clock)
    first = opened(app, sms("+4915100001", "Hi"))
    again = sms("+4915100001", "second")
    app.receive(again, track())
    app.receive(again, track())
    assert app.contact(first).message_count == 2
    assert len(app.transcript(first, None, 50)) == 2


def test_automatic_mail_never_opens_or_reopens_a_contact(clock: Clock) -> None:
    app = routing(clock)
    app.receive(mail("ann@example.com", "Out of office", automatic="yes"), track())
    assert app.waiting_counts() == {"default": 0}


def test_identification_of_a_joined_message_reaches_its_conversation(clock: Clock) -> None:
    app = routing(clock, identify_timeout_seconds=2)
    first = sms("+4915100001", "Hi")
    app.receive(first, track())
    second = sms("+4915100001", "hello?")
    app.receive(second, track())
    customer = uuid.uuid4()
    app.identified(
        CustomerIdentified(
            contact_id=contact_id_for(second.interaction_id),
            customer_id=customer,
            interaction_id=second.interaction_id,
            identities=["phone:+4915100001"],
            is_new_customer=False,
            tier="vip",
            last_agent_id=None,
        ),
        track(),
    )
    view = app.contact(contact_id_for(first.interaction_id))
    assert (view.customer_id, view.status, view.priority) == (customer, "waiting", 10)


def test_the_transcript_shows_both_ways_in_order_and_pages_back(clock: Clock) -> None:
    app = routing(clock)
    app.set_status("alice", "available")
    first = opened(app, sms("+4915100001", "Hi"))
    accept_all(app, "alice")
    clock.advance(1)
    app.reply(first, "Hello, how can I help?", "alice")
    clock.advance(1)
    app.receive(sms("+4915100001", "my invoice"), track())
    messages = app.transcript(first, None, 50)
    assert [(m.direction, m.text) for m in messages] == [
        ("in", "Hi"),
        ("out", "Hello, how can I help?"),
        ("in", "my invoice"),
    ]
    assert messages[1].status == "requested"
    older = app.transcript(first, messages[-1].seq, 1)
    assert [m.text for m in older] == ["Hello, how can I help?"]


def test_a_forum_topic_is_one_conversation_whoever_posts(clock: Clock) -> None:
    app = routing(clock)

    def post(user: str, n: int) -> InteractionReceived:
        return InteractionReceived(
            interaction_id=InboundEvent.id_for("discourse", "forum", f"p{n}"),
            channel="discourse",
            source="forum",
            external_id=f"p{n}",
            sender=Sender(handle=f"discourse:forum:{user}"),
            text=f"post {n}",
            conversation_key="discourse:forum:topic:7",
        )

    first = opened(app, post("ann", 1))
    app.receive(post("ben", 2), track())
    assert app.contact(first).message_count == 2


def test_queue_stats_count_contacts_and_messages_apart(clock: Clock) -> None:
    from services.routing.queue_stats import QueueStatsProjection

    app = routing(clock)
    app.set_status("alice", "available")
    first = opened(app, sms("+4915100001", "Hi"))
    app.receive(sms("+4915100001", "again"), track())
    accept_all(app, "alice")
    app.complete(first, "resolved", "alice")
    app.receive(sms("+4915100001", "one more"), track())
    opened(app, sms("+4915100002", "someone else"))
    stats = QueueStatsProjection({"default": 20})
    for n in app.recorder.select_notifications(start=1, limit=10_000):
        stats.apply(n.id, app.mapper.to_domain_event(n))
    totals = stats.totals["default"]
    assert (totals.queued, totals.reopened, totals.messages) == (3, 1, 4)


def test_after_erasure_the_same_number_starts_a_new_conversation(clock: Clock) -> None:
    app = routing(clock, identify_timeout_seconds=2)
    first = sms("+4915100001", "Hi")
    app.receive(first, track())
    ana = uuid.uuid4()
    app.identified(
        CustomerIdentified(
            contact_id=contact_id_for(first.interaction_id),
            customer_id=ana,
            interaction_id=first.interaction_id,
            identities=["phone:+4915100001"],
            is_new_customer=True,
        ),
        track(),
    )
    [erased] = app.erase_customer(ana, track())
    again = opened(app, sms("+4915100001", "I am new here"))
    assert again != erased
    assert app.contact(again).message_count == 1
