"""Routing's conversation commands: placing each customer message in its conversation (one
contact per conversation), and what its holder does with it (pending, snooze, read).

The placement is decided by the pure rules of `conversation.py`; the Thread aggregate's
version check keeps it to one open contact per thread when replicas race.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Tracking

from events import InteractionReceived, ReplyStatusChanged, contact_id_for
from schemas.config import RoutingConfig
from services.routing.contact import Contact, ContactError, InvalidRequest
from services.routing.conversation import (
    STATE_OF_STATUS,
    Join,
    LastContact,
    Message,
    OpenNew,
    Reopen,
    Unrouted,
    place,
    thread_key,
)
from services.routing.dispatch import Dispatcher
from services.routing.identification import Identification
from services.routing.request_types import classify
from services.routing.thread import JoinedMessage, Thread
from services.routing.unit import Unit
from switchboard.shredding import KeyRing, PersonalDataErased

if TYPE_CHECKING:
    from services.routing.voice_calls import VoiceCalls

ORIGIN_FIELDS = {"channel", "source", "external_id", "sender", "subject_line"} | {
    "conversation_key",
    "attributes",
}


def message_of(interaction: InteractionReceived) -> Message:
    sender = interaction.sender
    return Message(
        channel=interaction.channel,
        source=interaction.source,
        identity=sender.email or sender.phone or sender.handle,
        conversation_key=interaction.conversation_key,
        automatic=interaction.attributes.get("automatic") == "yes",
    )


def last_contact(contact: Contact | None) -> LastContact | None:
    if contact is None:
        return None
    # A status the conversation rules do not name (a call waiting for its callback) is open.
    state = STATE_OF_STATUS.get(contact.status, "open")
    return LastContact(contact.id, state, contact.completed_at)


class NotYours(PermissionError):
    """Only the person an offer or contact belongs to may act on it."""


def require_holder(holder: str | None, actor: str | None, what: str) -> None:
    """`actor` None: the system itself (or an admin stepping in)."""
    if actor is not None and holder != actor:
        raise NotYours(f"{what} is not {actor}'s")


class ConversationCommands:
    config: RoutingConfig
    dispatch: Dispatcher
    keys: KeyRing
    voice: VoiceCalls

    def unit(self, tracking: Tracking | None = None) -> AbstractContextManager[Unit]:
        raise NotImplementedError

    def link_customer(self, contact_id: uuid.UUID, customer_id: uuid.UUID) -> None:
        raise NotImplementedError

    # A customer's message --------------------------------------------------------

    def receive(self, interaction: InteractionReceived, tracking: Tracking) -> None:
        own_id = contact_id_for(interaction.interaction_id)
        linked: tuple[uuid.UUID, uuid.UUID] | None = None
        with self.unit(tracking) as unit:
            if unit.get(Contact, own_id) or unit.get(
                JoinedMessage, JoinedMessage.create_id(own_id)
            ):
                return  # a channel retry outside the stream's dedupe window
            message = message_of(interaction)
            rule = self.config.conversation_rule(interaction.channel)
            key = thread_key(message, rule)
            thread = unit.get(Thread, Thread.id_for(key)) if key else None
            last = _readable(unit, thread.contact_id) if thread else None
            placement = place(last_contact(last), unit.now, rule, message.automatic)
            early = unit.get(Identification, Identification.create_id(own_id))
            if isinstance(placement, Unrouted):
                return  # history records it on the customer's timeline
            if isinstance(placement, Join | Reopen) and last is not None:
                unit.add(JoinedMessage(own_contact_id=own_id, contact_id=last.id))
                self._join(unit, last, interaction, early, isinstance(placement, Reopen))
                contact = last
            else:
                follows = placement.follows if isinstance(placement, OpenNew) else None
                contact = self._open(unit, interaction, early, follows)
                if key is not None and thread is None:
                    unit.add(Thread(id=Thread.id_for(key), contact_id=contact.id))
                elif thread is not None:
                    thread.move_to(contact.id, follows=thread.contact_id)
            if early is not None:
                linked = (contact.id, early.customer_id)
        if linked is not None:
            self.link_customer(*linked)

    def _with_request_type(
        self, facts: dict[str, Any], interaction: InteractionReceived
    ) -> dict[str, Any]:
        types = self.config.request_types
        kind = classify(types, facts, interaction.subject_line, interaction.text)
        return {**facts, "request_type": kind}

    def _open(
        self,
        unit: Unit,
        interaction: InteractionReceived,
        early: Identification | None,
        follows: uuid.UUID | None,
    ) -> Contact:
        wait = self.config.identify_timeout_seconds
        attributes = interaction.attributes
        contact = unit.add(
            Contact(
                interaction_id=interaction.interaction_id,
                channel=interaction.channel,
                summary=(interaction.subject_line or interaction.text)[:200],
                opened_at=unit.now,
                facts=self._with_request_type(
                    {
                        "channel": interaction.channel,
                        "source": interaction.source,
                        "language": attributes.get("language"),
                        "topic": attributes.get("topic"),
                        "attributes": dict(attributes),
                    },
                    interaction,
                ),
                origin=interaction.model_dump(mode="json", include=ORIGIN_FIELDS),
                identify_by=unit.now + timedelta(seconds=wait) if wait else None,
                text=interaction.text,
                attachments=_attachments(interaction),
                follows=follows,
            )
        )
        if early is not None:
            contact.identify(
                early.customer_id,
                early.tier,
                early.last_agent_id,
                early.owner_id,
                language=early.language,
            )
        if self.voice.scheduled_callback(unit, contact):
            pass  # a callback asked for later waits for its time, out of the queue
        elif early is not None or not wait:
            self.dispatch.enqueue(unit, contact)
        return contact

    def _join(
        self,
        unit: Unit,
        contact: Contact,
        interaction: InteractionReceived,
        early: Identification | None,
        reopen: bool,
    ) -> None:
        if reopen:
            contact.reopen("the customer wrote again", unit.now)
        woke = contact.add_message(
            interaction.interaction_id,
            interaction.subject_line,
            interaction.text,
            _attachments(interaction),
            unit.now,
            automatic=message_of(interaction).automatic,
        )
        if woke and contact.agent_id is not None:
            unit.agent(contact.agent_id).resume(str(contact.id))
        if early is not None and contact.customer_id is None:
            contact.identify(
                early.customer_id,
                early.tier,
                early.last_agent_id,
                early.owner_id,
                language=early.language,
            )
            if contact.status == "identifying" and not reopen:
                self.dispatch.enqueue(unit, contact)
        if reopen:
            self.dispatch.enqueue(unit, contact)

    def identified_conversation(self, unit: Unit, own_id: uuid.UUID) -> Contact | None:
        """The conversation a message joined, found by the contact it would have opened."""
        joined = unit.get(JoinedMessage, JoinedMessage.create_id(own_id))
        return _readable(unit, joined.contact_id) if joined is not None else None

    def reply_status(self, status: ReplyStatusChanged, tracking: Tracking) -> None:
        """The transcript shows what became of each reply."""
        with self.unit(tracking) as unit:
            contact = unit.get(Contact, status.contact_id)
            if contact is not None:
                contact.record_reply_status(
                    status.reply_id, status.status, status.detail, status.occurred_at
                )

    # What the holder does ----------------------------------------------------------

    def set_pending(self, contact_id: uuid.UUID, actor: str | None) -> Contact:
        """Waiting on the customer: takes no capacity; resolves itself if unanswered."""
        with self.unit() as unit:
            contact = self._held(unit, contact_id, actor)
            seconds = self.config.conversation_rule(contact.channel).pending_resolve_seconds
            resolve_at = unit.now + timedelta(seconds=seconds) if seconds else None
            holder = contact.set_pending(unit.now, resolve_at)
            unit.agent(holder).park(str(contact.id))
            self.dispatch.fill(unit, holder)
        return contact

    def change_request_type(
        self, contact_id: uuid.UUID, request_type: str | None, actor: str | None
    ) -> Contact:
        known = [t.name for t in self.config.request_types]
        if request_type is not None and request_type not in known:
            raise InvalidRequest("request_type", f"unknown type {request_type!r} ({known})")
        with self.unit() as unit:
            contact = self._held(unit, contact_id, actor)
            if contact.facts.get("request_type") != request_type:
                contact.change_request_type(request_type, actor or "admin", unit.now)
        return contact

    def snooze(self, contact_id: uuid.UUID, until: datetime, actor: str | None) -> Contact:
        with self.unit() as unit:
            contact = self._held(unit, contact_id, actor)
            holder = contact.snooze(until, unit.now)
            unit.agent(holder).park(str(contact.id))
            self.dispatch.fill(unit, holder)
        return contact

    def resume(self, contact_id: uuid.UUID, actor: str | None) -> Contact:
        """The holder takes a pending or snoozed conversation up again."""
        with self.unit() as unit:
            contact = self._held(unit, contact_id, actor)
            holder = contact.wake(f"taken up by {actor or 'routing'}", unit.now)
            unit.agent(holder).resume(str(contact.id))
        return contact

    def mark_read(self, contact_id: uuid.UUID, actor: str | None) -> Contact:
        with self.unit() as unit:
            contact = self._held(unit, contact_id, actor)
            contact.mark_read(unit.now)
        return contact

    def conversation_due(self, contact_id: uuid.UUID, due: datetime, tracking: Tracking) -> None:
        """A conversation's clock fired: a snooze ends, or a pending conversation nobody
        answered resolves itself. Only if it still waits for this very time."""
        with self.unit(tracking) as unit:
            contact = unit.get(Contact, contact_id)
            if contact is None or contact.status != "accepted":
                return
            if contact.conversation == "snoozed" and contact.snoozed_until == due:
                holder = contact.wake("snooze ended", unit.now)
                unit.agent(holder).resume(str(contact.id))
            elif contact.conversation == "pending" and contact.resolve_at == due:
                since = contact.pending_since or due
                waited = (due - since).total_seconds()
                reason = f"no answer from the customer in {waited:.0f}s"
                holder = contact.complete("auto-resolved", unit.now, by="routing", reason=reason)
                self.dispatch.finish(unit, unit.agent(holder), contact, wrap_up=False)

    def _held(self, unit: Unit, contact_id: uuid.UUID, actor: str | None) -> Contact:
        contact = unit.contact(contact_id)
        if contact.status != "accepted":
            raise ContactError(f"contact {contact_id} is {contact.status}, not held by anyone")
        require_holder(contact.agent_id, actor, f"contact {contact_id}")
        return contact


def _readable(unit: Unit, contact_id: uuid.UUID) -> Contact | None:
    """The contact, unless its customer was erased (its keys destroyed): then the thread
    starts afresh, with someone who is a new customer to us."""
    try:
        return unit.contact(contact_id)
    except PersonalDataErased:
        return None


def _attachments(interaction: InteractionReceived) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json") for a in interaction.attachments]


def messages_in(events: Iterator[Any]) -> Iterator[Any]:
    """The stored events of a contact that are messages of its transcript."""
    names = {"Contact.Opened", "Contact.MessageAdded", "Contact.ReplyRequested"}
    return (e for e in events if type(e).__qualname__ in names)
