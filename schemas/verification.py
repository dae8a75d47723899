"""How a channel vouched for a sender's identity, and which of those ways count.

An identity someone merely typed (a web form's e-mail or phone, an SMS's sender number,
a call whose caller ID nobody attested) is `unverified`: anyone can type anyone's number.
Only a verified identity may tie two identities to one person without a supervisor
(services/history/identity_policy.py).
"""

from __future__ import annotations

from typing import Literal

IdentityField = Literal["email", "phone", "handle"]

UNVERIFIED = "unverified"
# Twilio's STIR/SHAKEN attestation, full: the carrier knows the caller may use the number.
STIR_FULL = "stir-a"
# Partial (B) and gateway (C) attestation vouch for the caller, not for the number.
STIR_PARTIAL = "stir-b"
STIR_GATEWAY = "stir-c"
DKIM = "dkim"  # a valid DKIM signature of the From address's own domain
API_SIGNATURE = "api-signature"  # the integrator signed the message (HMAC) and vouches
TELEGRAM = "telegram"  # Telegram's user id, or the account's own number it shares
META = "meta"  # Messenger/Instagram/WhatsApp ids as Meta's signed webhook gives them
VK = "vk"  # VK's user id on its secret-checked callback
WHATSAPP = "whatsapp"  # the WhatsApp number, as the platform (through Twilio) gives it

VERIFIED = frozenset({STIR_FULL, DKIM, API_SIGNATURE, TELEGRAM, META, VK, WHATSAPP})


def is_verified(how: str) -> bool:
    return how in VERIFIED


def stir_verification(verstat: str | None) -> str:
    """Twilio's `StirVerstat` (e.g. `TN-Validation-Passed-A`) as a way of verification."""
    if not verstat or not verstat.startswith("TN-Validation-Passed-"):
        return UNVERIFIED  # no attestation, or it failed
    return {"A": STIR_FULL, "B": STIR_PARTIAL, "C": STIR_GATEWAY}.get(verstat[-1], UNVERIFIED)
