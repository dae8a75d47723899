"""Properties of conversations, through the real routing application (in-memory store):
whatever the interleaving of many customers' messages on many channels, redeliveries,
agents accepting, resolving and letting conversations wait, every message is in exactly one
contact, once, and no thread ever has two open contacts."""

from __future__ import annotations

import uuid
from collections import Counter
from itertools import count

from eventsourcing.persistence import Tracking
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import InboundEvent, InteractionReceived, Sender
from schemas.config import Person, RoutingConfig
from services.routing.application import RoutingApplication
from services.routing.contact import Contact
from services.routing.conversation import thread_key
from services.routing.conversation_commands import message_of
from tests.support.clock import Clock

PEOPLE = [
    Person(id="alice", name="A", supervisor="sam"),
    Person(id="bob", name="B", supervisor="sam"),
    Person(id="sam", name="S", role="supervisor"),
]
CHANNELS = ("sms", "telegram", "email", "whatsapp")


def app_with(clock: Clock) -> RoutingApplication:
    config = RoutingConfig(offer_timeout_seconds=20, identify_timeout_seconds=0)
    return RoutingApplication(
        PEOPLE,
        config,
        queue_supervisor="sam",
        clock=clock,
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
    )


def message(customer: int, channel: str, n: int) -> InteractionReceived:
    external = f"{channel}-{customer}-{n}"
    sender = (
        Sender(email=f"c{customer}@example.com")
        if channel == "email"
        else Sender(phone=f"+49151000{customer:04d}", handle=f"{channel}:{customer}")
    )
    return InteractionReceived(
        interaction_id=InboundEvent.id_for(channel, "endpoint", external),
        channel=channel,
        source="endpoint",
        external_id=external,
        sender=sender,
        text=f"message {n}",
        conversation_key=f"{channel}:thread-{customer}",
    )


def key_of(m: InteractionReceived, app: RoutingApplication) -> str | None:
    return thread_key(message_of(m), app.config.conversation_rule(m.channel))


def contact_key(contact: Contact, app: RoutingApplication) -> str | None:
    origin = InteractionReceived.model_validate(
        {**contact.origin, "interaction_id": contact.interaction_id}
    )
    return key_of(origin, app)


def open_per_thread(app: RoutingApplication) -> Counter[str | None]:
    app.view()  # the board as stored now
    return Counter(contact_key(c, app) for c in app.board.contacts.values())


def placed(app: RoutingApplication, sent: list[InteractionReceived]) -> Counter[uuid.UUID]:
    """How often each sent message appears across every contact's transcript."""
    opened = {
        uuid.UUID(str(n.originator_id))
        for n in app.recorder.select_notifications(start=1, limit=1_000_000)
        if n.topic.endswith("Contact.Opened")
    }
    seen: Counter[uuid.UUID] = Counter()
    for contact_id in opened:
        for m in app.transcript(contact_id, None, 10_000):
            if m.direction == "in":
                seen[m.message_id] += 1
    return seen


Step = tuple[str, int, int]  # (what, customer or agent pick, channel pick)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("message"), st.integers(0, 4), st.integers(0, 3)),
        st.tuples(st.just("redeliver"), st.integers(0, 50), st.just(0)),
        st.tuples(st.just("accept"), st.integers(0, 1), st.just(0)),
        st.tuples(st.just("resolve"), st.integers(0, 1), st.integers(0, 20)),
        st.tuples(st.just("pending"), st.integers(0, 1), st.integers(0, 20)),
        st.tuples(st.just("wait"), st.sampled_from([5, 700, 4 * 24 * 3600]), st.just(0)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_any_interleaving_keeps_one_open_contact_per_thread_and_every_message_once(
    plan: list[Step],
) -> None:
    clock = Clock()
    app = app_with(clock)
    for agent in ("alice", "bob"):
        app.set_status(agent, "available")
    positions = count(1)
    sent: list[InteractionReceived] = []
    numbers = count(1)
    for what, a, b in plan:
        agent = ("alice", "bob")[a % 2]
        if what == "message":
            m = message(a, CHANNELS[b], next(numbers))
            sent.append(m)
            app.receive(m, Tracking("stream:INBOUND", next(positions)))
        elif what == "redeliver" and sent:
            app.receive(sent[a % len(sent)], Tracking("stream:INBOUND", next(positions)))
        elif what == "accept":
            for offer in app.offers_for(agent):
                app.accept(offer.offer_id, agent)
        elif what in ("resolve", "pending"):
            held = app.contacts_of(agent)
            if held:
                contact = held[b % len(held)]
                if what == "resolve":
                    app.complete(contact.contact_id, "resolved", agent)
                elif contact.conversation == "open":
                    app.set_pending(contact.contact_id, agent)
        elif what == "wait":
            clock.advance(a)
        assert max(open_per_thread(app).values(), default=0) <= 1
    seen = placed(app, sent)
    assert seen == Counter({m.interaction_id: 1 for m in sent})


@settings(max_examples=40, deadline=None)
@given(st.permutations([(c, ch, n) for c in range(3) for ch in range(3) for n in range(3)]))
def test_any_arrival_order_gives_one_contact_per_thread(order: list[tuple[int, int, int]]) -> None:
    app = app_with(Clock())
    positions = count(1)
    contact_of: dict[str | None, set[uuid.UUID]] = {}
    sent = [message(c, CHANNELS[ch], n + 10 * c + 100 * ch) for c, ch, n in order]
    for m in sent:
        app.receive(m, Tracking("stream:INBOUND", next(positions)))
    app.view()  # the board as stored now
    for contact in app.board.contacts.values():
        contact_of.setdefault(contact_key(contact, app), set()).add(contact.id)
    assert len(contact_of) == 9  # 3 customers x 3 channels
    assert all(len(ids) == 1 for ids in contact_of.values())
    assert all(c.message_count == 3 for c in app.board.contacts.values())
