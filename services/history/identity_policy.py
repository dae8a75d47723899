"""Which of an interaction's identities may tie it to a customer without a supervisor.

Anyone can type anyone's phone number into a web form beside their own e-mail. Were both
identities tied to one customer, the next call from that number would show the e-mail's
owner's history to whoever made the call. So only identities the channel vouched for
(schemas/verification.py) are tied together automatically; of an interaction vouching for
none, only its first identity (e-mail, phone, handle) finds or makes its customer, and each
other identity stays with a customer of its own, with a merge suggestion for a supervisor.
"""

from __future__ import annotations

from dataclasses import dataclass

from events import Sender
from schemas.verification import is_verified


def sender_identities(sender: Sender) -> dict[str, str]:
    """The sender's identities (in precedence order, as `schemas.identity.identities` names
    them) and how each was verified."""
    found: dict[str, str] = {}
    if sender.email:
        found[f"email:{sender.email}"] = sender.verification("email")
    if sender.phone:
        found[f"phone:{sender.phone}"] = sender.verification("phone")
    if sender.handle:
        found[sender.handle] = sender.verification("handle")
    return found


@dataclass(frozen=True)
class Ties:
    anchors: list[str]  # find (or make) the interaction's customer; merged as policy says
    loose: list[str]  # each stays with its own customer; a different one is only suggested


def ties(verified_by: dict[str, str]) -> Ties:
    """`verified_by`: identity -> how, in precedence order."""
    vouched = [i for i, how in verified_by.items() if is_verified(how)]
    anchors = vouched or list(verified_by)[:1]
    return Ties(anchors, [i for i in verified_by if i not in anchors])
