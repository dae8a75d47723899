"""What a customer is told when their request's clock starts: a short reference and when to
expect an answer, in the policy calendar's time zone (no I/O)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

# Crockford's base32 without I, L, O, U: nothing to misread over the phone.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Carriers' and Twilio's opt-out words: a request opened by one of them is not acknowledged.
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout"})
# Where an acknowledgment has no way back to the customer, or is the conversation itself.
UNWRITTEN = frozenset({"voice"})


def reference(contact_id: uuid.UUID) -> str:
    """A-7K3Q: four characters from the contact's id (stable, so retries agree)."""
    digest = int.from_bytes(hashlib.sha256(contact_id.bytes).digest()[:4], "big")
    chars = "".join(ALPHABET[(digest >> (5 * i)) & 31] for i in range(4))
    return f"A-{chars}"


def acknowledgment_text(
    ref: str, expected: datetime, zone: ZoneInfo, link: str | None = None
) -> str:
    local = expected.astimezone(zone)
    follow = f" Follow it at {link} ." if link else ""
    return (
        f"We have your request {ref}. You can expect our answer by "
        f"{local:%a %d %b %H:%M} ({zone.key}).{follow} Reply STOP for no status messages."
    )


def is_stop(text: str) -> bool:
    return text.strip().strip(".!").casefold() in STOP_WORDS
