"""The notifier's decisions as plain calls: who sees which push, who is told on which
channel, what they read, and when a failed notification is tried again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from events import AgentOffered, ContactEscalated, ContactFlagged, ContactQueued, OfferExpired
from events.notifier import NotificationFailed
from schemas.config import NotifierConfig, Person
from services.notifier.audience import BOARD, pushes
from services.notifier.contracts import to_contract
from services.notifier.live import DeskHub
from services.notifier.notification import Notification
from services.notifier.notifications_view import NotificationsView
from services.notifier.plan import addresses, notifications
from services.notifier.retry_policy import next_attempt
from services.notifier.templates import SMS_LIMIT, escalation_message
from switchboard.auth import Principal

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
SAM = Person(
    id="sam", name="Sam", role="supervisor", email="sam@example.com", phone="+4915112345678"
)
CONTACT = uuid.uuid4()


def escalated(summary: str = "My router keeps dropping the line") -> ContactEscalated:
    return ContactEscalated(
        contact_id=CONTACT,
        level=1,
        to_person_id="sam",
        from_agent_id="bob",
        reason="bob did not answer",
        channel="webform",
        summary=summary,
    )


def test_an_offer_is_pushed_to_its_agent_alone_and_the_board_learns_no_words() -> None:
    offered = AgentOffered(
        contact_id=CONTACT, offer_id=uuid.uuid4(), agent_id="alice", expires_at=NOW
    )
    targets = {audience: push for audience, push in pushes(offered)}
    assert set(targets) == {"alice", BOARD}
    assert targets["alice"].kind == "offer" and targets["alice"].data["state"] == "new"
    assert targets[BOARD].data == {"type": "AgentOffered"}
    expired = OfferExpired(contact_id=CONTACT, offer_id=uuid.uuid4(), agent_id="bob")
    assert [(a, p.data["state"]) for a, p in pushes(expired) if a] == [("bob", "expired")]
    queued = ContactQueued(
        contact_id=CONTACT, interaction_id=uuid.uuid4(), channel="sms", queue="q", priority=0
    )
    assert [a for a, _ in pushes(queued)] == [BOARD]


def test_escalations_and_flags_go_to_the_person_named() -> None:
    [(to, push), (board, _)] = pushes(escalated())
    assert (to, push.kind, board) == ("sam", "escalation", BOARD)
    assert push.data["from"] == "bob" and push.data["summary"].startswith("My router")
    flagged = ContactFlagged(
        contact_id=CONTACT,
        agent_id="alice",
        supervisor_id="sam",
        reason="missed heartbeats",
        channel="sms",
        summary="hi",
    )
    assert [(a, p.kind) for a, p in pushes(flagged)] == [
        ("alice", "contact"),
        ("sam", "flag"),
        (BOARD, "board"),
    ]


async def test_the_hub_hands_each_listener_only_its_own() -> None:
    hub = DeskHub()
    streams = {
        who: hub.stream(Principal(who, role))  # type: ignore[arg-type]
        for who, role in (("alice", "agent"), ("bob", "agent"), ("sam", "supervisor"))
    }
    for stream in streams.values():
        assert (await anext(stream)).startswith("event: hello")
    hub.publish(
        AgentOffered(contact_id=CONTACT, offer_id=uuid.uuid4(), agent_id="alice", expires_at=None)
    )
    hub.close()
    received = {who: [chunk async for chunk in stream] for who, stream in streams.items()}
    assert [c.split("\n")[0] for c in received["alice"]] == ["event: offer"]
    assert received["bob"] == []
    assert [c.split("\n")[0] for c in received["sam"]] == ["event: board"]


def test_channels_follow_the_persons_preferences_and_addresses() -> None:
    assert addresses(SAM) == [("email", "sam@example.com")]  # default: desk and e-mail
    texting = SAM.model_copy(update={"notify": ["desk", "sms"]})
    assert addresses(texting) == [("sms", "+4915112345678")]
    no_phone = SAM.model_copy(update={"notify": ["sms"], "phone": None})
    assert addresses(no_phone) == []


def test_one_event_plans_the_same_notifications_however_often() -> None:
    event = escalated()
    both = SAM.model_copy(update={"notify": ["email", "sms"]})
    message = escalation_message(event, both, "https://sb.example/")
    first = notifications(event, CONTACT, both, message, NOW)
    again = notifications(event, CONTACT, both, message, NOW + timedelta(minutes=5))
    assert [n.id for n in first] == [n.id for n in again]
    assert len({n.id for n in first}) == 2
    email, sms = first
    assert email.body == message.body and sms.body == message.short


def test_messages_carry_the_key_facts_and_a_link() -> None:
    message = escalation_message(escalated("x" * 2000), SAM, "https://sb.example/")
    link = f"https://sb.example/console?contact={CONTACT}"
    assert link in message.body and link in message.short
    assert "bob did not answer" in message.body and "from bob" in message.body
    assert len(message.short) <= SMS_LIMIT and message.short.endswith(link)
    agent = Person(id="alice", name="Alice")
    assert (
        "https://sb.example/desk?contact="
        in escalation_message(escalated(), agent, "https://sb.example").body
    )


def test_an_overflow_tells_the_queue_supervisor_so() -> None:
    overflow = escalated().model_copy(update={"step": "overflow", "queue": "billing"})
    message = escalation_message(overflow, SAM, "https://sb.example")
    assert message.subject == "[Switchboard] Overflow in queue billing: webform contact"
    assert "more agents may now take it" in message.body
    nobody = escalated().model_copy(update={"to_person_id": None})
    assert [a for a, _ in pushes(nobody)] == [BOARD]


def test_backoff_doubles_up_to_the_cap_then_gives_up() -> None:
    policy = NotifierConfig(retry_base_seconds=2, retry_max_seconds=10, max_attempts=5)
    waits = [next_attempt(n, NOW, policy) for n in range(1, 6)]
    assert [(w - NOW).total_seconds() for w in waits if w] == [2, 4, 8, 10]
    assert waits[-1] is None


def test_a_failure_is_on_record_and_published_with_its_facts() -> None:
    n = Notification(
        cause_event_id=uuid.uuid4(),
        recipient="sam",
        channel="sms",
        address="+4915112345678",
        subject="s",
        body="b",
        contact_id=CONTACT,
        requested_at=NOW,
    )
    n.attempt_failed("Twilio 503", NOW, NOW + timedelta(seconds=2))
    n.fail("Twilio 400 21211", NOW + timedelta(seconds=2))
    view = NotificationsView()
    contracts = []
    for position, event in enumerate(n.collect_events(), start=1):
        view.apply(position, event)
        contracts.append(to_contract(event))
    [row] = view.select("failed", 10)
    assert (row.attempts, row.last_error, n.attempts) == (2, "Twilio 400 21211", 2)
    failed = contracts[-1]
    assert isinstance(failed, NotificationFailed) and contracts[:-1] == [None, None]
    assert (failed.notification_id, failed.attempts, failed.contact_id) == (n.id, 2, CONTACT)
    assert view.select("delivered", 10) == []
