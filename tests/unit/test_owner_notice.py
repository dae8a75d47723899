"""The owner's notice as plain calls: who is pushed what, and what the e-mail says."""

from __future__ import annotations

import uuid

from events import OwnerInformed
from schemas.config import Person
from services.notifier.audience import Push, pushes
from services.notifier.plan import notifications
from services.notifier.templates import owner_message

EVENT = OwnerInformed(
    contact_id=uuid.UUID(int=7),
    owner_id="alice",
    agent_id="bob",
    customer_id=uuid.UUID(int=9),
    channel="sms",
    summary="my order is late",
)
ALICE = Person(id="alice", name="Alice", email="alice@example.com", notify=["desk", "email"])


def test_only_the_owner_is_pushed_the_notice() -> None:
    assert pushes(EVENT) == [
        (
            "alice",
            Push(
                "owner",
                {
                    "contact_id": str(EVENT.contact_id),
                    "agent_id": "bob",
                    "customer_id": str(EVENT.customer_id),
                    "channel": "sms",
                    "summary": "my order is late",
                },
            ),
        )
    ]


def test_the_owner_is_mailed_with_a_link_to_the_contact() -> None:
    message = owner_message(EVENT, ALICE, "https://sb.example")
    assert message.subject == "[Switchboard] bob took a sms contact of your customer"
    assert "my order is late" in message.body
    assert f"https://sb.example/desk?contact={EVENT.contact_id}" in message.body
    [mail] = notifications(EVENT, EVENT.contact_id, ALICE, message, EVENT.occurred_at)
    assert (mail.channel, mail.address) == ("email", "alice@example.com")
    quiet = ALICE.model_copy(update={"notify": ["desk"]})
    assert notifications(EVENT, EVENT.contact_id, quiet, message, EVENT.occurred_at) == []
