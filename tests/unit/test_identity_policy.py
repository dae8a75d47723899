"""Which identities tie an interaction to a customer on their own, as plain calls."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import Tracking

from events import InboundEvent, InteractionReceived, Sender
from schemas.verification import is_verified, stir_verification
from services.history.application import HistoryApplication
from services.history.identity_policy import sender_identities, ties


@pytest.mark.parametrize(
    ("verstat", "how"),
    [
        ("TN-Validation-Passed-A", "stir-a"),
        ("TN-Validation-Passed-B", "stir-b"),
        ("TN-Validation-Passed-C", "stir-c"),
        ("TN-Validation-Failed-A", "unverified"),
        ("No-TN-Validation", "unverified"),
        (None, "unverified"),
    ],
)
def test_only_full_attestation_vouches_for_a_caller(verstat: str | None, how: str) -> None:
    assert stir_verification(verstat) == how
    assert is_verified(how) == (how == "stir-a")


def test_vouched_identities_tie_together_and_typed_ones_stay_loose() -> None:
    form = Sender(email="ana@example.com", phone="+4915100000001")
    assert sender_identities(form) == {
        "email:ana@example.com": "unverified",
        "phone:+4915100000001": "unverified",
    }
    typed = ties(sender_identities(form))
    assert (typed.anchors, typed.loose) == (["email:ana@example.com"], ["phone:+4915100000001"])

    chat = Sender(
        phone="+4915100000001",
        handle="telegram:42",
        verified={"phone": "telegram", "handle": "telegram"},
    )
    vouched = ties(sender_identities(chat))
    assert (vouched.anchors, vouched.loose) == (["phone:+4915100000001", "telegram:42"], [])

    # A vouched-for identity anchors even when a typed one comes first in precedence.
    mixed = Sender(email="x@example.com", phone="+4915100000002", verified={"phone": "stir-a"})
    tied = ties(sender_identities(mixed))
    assert (tied.anchors, tied.loose) == (["phone:+4915100000002"], ["email:x@example.com"])
    assert ties({}).anchors == []


positions = iter(range(1, 10_000))


def record(app: HistoryApplication, channel: str, n: int, **sender: Any) -> None:
    event = InteractionReceived(
        interaction_id=InboundEvent.id_for(channel, "src", f"m{n}"),
        channel=channel,
        source="src",
        external_id=f"m{n}",
        sender=Sender.model_validate(sender),
        text=f"message {n}",
    )
    app.record_interaction(event, Tracking("stream:INBOUND", next(positions)))


def test_typing_someones_new_address_beside_ones_number_claims_neither_for_the_other() -> None:
    app = HistoryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    # Before the victim ever wrote, the attacker types their address beside their own number.
    record(app, "webform", 1, email="vera@example.com", phone="+4915100000666")
    # The victim writes (DKIM-signed), then the attacker calls (attested: it is their number).
    record(app, "email", 2, email="vera@example.com", verified={"email": "dkim"})
    record(app, "voice", 3, phone="+4915100000666", verified={"phone": "stir-a"})
    victim, caller = app.find("email:vera@example.com"), app.find("phone:+4915100000666")
    assert victim is not None and caller is not None
    assert victim.customer_id != caller.customer_id
    assert victim.verified_by == {"email:vera@example.com": "dkim"}

    # Erasing the form's customer erases the number's too: it had nothing of its own then.
    record(app, "webform", 4, email="ola@example.com", phone="+4915100000777")
    ola = app.find("email:ola@example.com")
    assert ola is not None and app.find("phone:+4915100000777") is not None
    app.erase(ola.customer_id, "ops")
    assert app.find("phone:+4915100000777") is None
    assert app.find("phone:+4915100000666") is not None  # it called: someone of its own
