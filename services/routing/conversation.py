"""Conversation rules: which contact a customer's message belongs to.

A contact is a conversation, not a message. Plain functions over plain data (no store, no
clock): routing decides with them, and everyone else (history's timeline, the desk, the
reports) follows routing's recorded decisions, so nobody decides twice and differently.

- A thread is the channel, the business endpoint (`source`: a number, bot, mailbox, API
  channel), the customer's identity and, for `thread = "conversation"`, the channel's own
  conversation key (a chat, an e-mail thread's root). The identity is part of the key, so a
  shared or guessed e-mail reference never joins another customer's conversation. Only a
  public forum topic (`thread = "topic"`) is one conversation whoever posts in it.
- A thread has at most one open contact: its messages join it. A resolved one reopens
  within the channel's window; after that, or once abandoned or cancelled, a new one opens
  (linked to the one it follows).
- Automatic messages (out-of-office, bounces, bulk mail) join an open conversation's
  transcript but never reopen one or open a new contact: auto-replies would otherwise
  reopen conversations in a loop.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from schemas.config import ConversationRule

ContactState = Literal["open", "resolved", "closed"]
# The Contact aggregate's statuses, as a conversation sees them.
STATE_OF_STATUS: dict[str, ContactState] = {
    "identifying": "open",
    "waiting": "open",
    "offered": "open",
    "accepted": "open",
    "completed": "resolved",
    "abandoned": "closed",
    "cancelled": "closed",
}


@dataclass(frozen=True)
class Message:
    """What the rules need to know of an interaction."""

    channel: str
    source: str
    identity: str | None  # the sender's first identity (e-mail, phone, handle)
    conversation_key: str | None
    automatic: bool = False


@dataclass(frozen=True)
class LastContact:
    """The thread's latest contact, as the rules need it."""

    contact_id: uuid.UUID
    state: ContactState
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class Join:
    """Add the message to this contact (it is open, or it is an automatic message for a
    recently resolved one: transcript only)."""

    contact_id: uuid.UUID


@dataclass(frozen=True)
class Reopen:
    """The contact was resolved within the window: open it again, with this message."""

    contact_id: uuid.UUID


@dataclass(frozen=True)
class OpenNew:
    """A new contact; `follows`: the thread's previous one, if any."""

    follows: uuid.UUID | None = None


@dataclass(frozen=True)
class Unrouted:
    """Nothing for an agent: recorded on the customer's timeline, no contact."""

    reason: str


Placement = Join | Reopen | OpenNew | Unrouted


def thread_key(message: Message, rule: ConversationRule) -> str | None:
    """The thread a message belongs to; None: it stands alone (forms, calls, anonymous)."""
    if rule.thread == "none":
        return None
    if rule.thread == "topic":
        key = message.conversation_key
        return "\x1f".join([message.channel, message.source, key]) if key else None
    if not message.identity:
        return None
    parts = [message.channel, message.source, message.identity]
    if rule.thread == "conversation":
        parts.append(message.conversation_key or "")
    return "\x1f".join(parts)


def place(
    last: LastContact | None, at: datetime, rule: ConversationRule, automatic: bool = False
) -> Placement:
    """Where a message of a thread goes, given the thread's latest contact."""
    if last is not None and last.state == "open":
        return Join(last.contact_id)
    recent = (
        last is not None
        and last.state == "resolved"
        and last.resolved_at is not None
        and rule.reopen_seconds > 0
        and (at - last.resolved_at).total_seconds() <= rule.reopen_seconds
    )
    if automatic:
        if recent and last is not None:
            return Join(last.contact_id)
        return Unrouted("an automatic message outside an open conversation")
    if recent and last is not None:
        return Reopen(last.contact_id)
    return OpenNew(follows=last.contact_id if last is not None else None)


def summary_of(subject: str | None, text: str) -> str:
    """What an offer or a contact list shows of a message."""
    return (subject or text)[:200]
