"""Which identities tie an interaction to a customer on their own, as plain calls."""

from __future__ import annotations

import pytest

from events import Sender
from schemas.verification import is_verified, stir_verification
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
