"""Contracts published by the routing service (sb.events.routing.<Event>)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from events.base import Event
from events.interactions import Channel

PREFIX = "sb.events.routing"


class ContactEvent(Event):
    contact_id: uuid.UUID


class ContactOpened(Event):
    """Routing has the contact and waits (until `identify_by`) for history to say who the
    customer is. Not a ContactEvent: nothing for a timeline, only for routing's timers."""

    subject: ClassVar[str] = f"{PREFIX}.ContactOpened"
    version: ClassVar[int] = 2
    contact_id: uuid.UUID
    interaction_id: uuid.UUID
    channel: Channel
    identify_by: datetime | None
    # v2, for reports: the adapter instance (form, bot, number) and the interaction's
    # attributes that say where it came from (utm_*, referrer, called number, API
    # attributes), without the ones that identify a person (see services/routing/contracts).
    source: str = ""
    attributes: dict[str, str] = Field(default_factory=dict)


class ContactQueued(ContactEvent):
    subject: ClassVar[str] = f"{PREFIX}.ContactQueued"
    version: ClassVar[int] = 3
    interaction_id: uuid.UUID
    channel: Channel
    queue: str
    priority: int
    # v2: when the contact came in (its age in the queue counts from then).
    waiting_since: datetime | None = None
    # v3: what the SLA service matches its policies on (unset on contacts queued before).
    tier: str | None = None
    request_type: str | None = None


class AgentOffered(ContactEvent):
    subject: ClassVar[str] = f"{PREFIX}.AgentOffered"
    offer_id: uuid.UUID
    agent_id: str
    expires_at: datetime | None
    escalation_level: int = 0


class OfferAccepted(ContactEvent):
    subject: ClassVar[str] = f"{PREFIX}.OfferAccepted"
    offer_id: uuid.UUID
    agent_id: str
    waited_seconds: float


class OfferDeclined(ContactEvent):
    subject: ClassVar[str] = f"{PREFIX}.OfferDeclined"
    offer_id: uuid.UUID
    agent_id: str


class OfferWithdrawn(ContactEvent):
    """Taken back because the agent left; the contact waits at its original age."""

    subject: ClassVar[str] = f"{PREFIX}.OfferWithdrawn"
    offer_id: uuid.UUID
    agent_id: str
    reason: str


class OfferExpired(ContactEvent):
    subject: ClassVar[str] = f"{PREFIX}.OfferExpired"
    offer_id: uuid.UUID
    agent_id: str


class ContactEscalated(ContactEvent):
    """The contact climbed a rung of its queue's ladder. `step` "supervisor": it is offered
    to `to_person_id`; "overflow": more agents may take it, and `to_person_id` is the
    queue's supervisor, who should know."""

    subject: ClassVar[str] = f"{PREFIX}.ContactEscalated"
    version: ClassVar[int] = 2
    level: int
    to_person_id: str | None
    from_agent_id: str | None
    reason: str
    channel: Channel
    summary: str
    step: str = "supervisor"
    queue: str = ""


class ContactCompleted(ContactEvent):
    """The conversation is resolved: by its holder, or (`by` "routing") by itself, say after
    waiting on the customer too long, with `reason`."""

    subject: ClassVar[str] = f"{PREFIX}.ContactCompleted"
    version: ClassVar[int] = 2
    agent_id: str
    disposition: str
    # v2: who resolved it and why, when it was not its holder's own decision.
    by: str | None = None
    reason: str = ""


class ContactMessageAdded(ContactEvent):
    """A customer's message joined an existing conversation (the first one opens it).
    `agent_id`: who has it now (holder or offered agent), whose desk shows it; `woke`: it
    took a pending or snoozed conversation back to open; `automatic`: an auto-reply."""

    subject: ClassVar[str] = f"{PREFIX}.ContactMessageAdded"
    interaction_id: uuid.UUID
    agent_id: str | None
    summary: str
    woke: bool = False
    automatic: bool = False


class ContactReopened(ContactEvent):
    """The customer wrote again soon after it was resolved: queued again, `agent_id` (who
    resolved it) first."""

    subject: ClassVar[str] = f"{PREFIX}.ContactReopened"
    agent_id: str | None
    reason: str


class ContactPending(ContactEvent):
    """The holder waits on the customer; unanswered by `resolve_at`, it resolves itself."""

    subject: ClassVar[str] = f"{PREFIX}.ContactPending"
    agent_id: str
    resolve_at: datetime | None


class ContactSnoozed(ContactEvent):
    """Out of the holder's way until `until`."""

    subject: ClassVar[str] = f"{PREFIX}.ContactSnoozed"
    agent_id: str
    until: datetime


class ContactWoken(ContactEvent):
    """A pending or snoozed conversation is open again: its snooze ended, or its holder
    took it up."""

    subject: ClassVar[str] = f"{PREFIX}.ContactWoken"
    agent_id: str
    reason: str


class ContactTransferred(ContactEvent):
    """The agent who held the contact passed it on; it waits again in `queue`."""

    subject: ClassVar[str] = f"{PREFIX}.ContactTransferred"
    from_agent_id: str
    queue: str
    reason: str


class ContactCancelled(ContactEvent):
    subject: ClassVar[str] = f"{PREFIX}.ContactCancelled"
    by: str
    reason: str
    agent_id: str | None


class ContactAbandoned(ContactEvent):
    subject: ClassVar[str] = f"{PREFIX}.ContactAbandoned"
    reason: str
    agent_id: str | None
    waited_seconds: float


class ReplyRequested(ContactEvent):
    """An agent answers the customer; ingest sends it through the customer's channel."""

    subject: ClassVar[str] = f"{PREFIX}.ReplyRequested"
    reply_id: uuid.UUID
    agent_id: str
    text: str
    channel: Channel
    origin: dict[str, Any]
    # Sent by Switchboard itself (an acknowledgment), not by an agent: no response to count.
    automatic: bool = False
    # An approved document sent with the reply: its title, text, version and file name
    # (ingest renders the PDF, so the file is the same whoever sends it).
    attachment: dict[str, Any] | None = None


class ContactFlagged(ContactEvent):
    """The agent who has the contact can no longer be reached: their supervisor must look."""

    subject: ClassVar[str] = f"{PREFIX}.ContactFlagged"
    agent_id: str
    supervisor_id: str | None
    reason: str
    channel: Channel
    summary: str


class OwnerInformed(ContactEvent):
    """Someone other than the account owner took a contact of the owner's customer: the
    owner is told (desk, e-mail) and may take it over by transfer."""

    subject: ClassVar[str] = f"{PREFIX}.OwnerInformed"
    owner_id: str
    agent_id: str
    customer_id: uuid.UUID | None
    channel: Channel
    summary: str


class AgentStatusChanged(Event):
    subject: ClassVar[str] = f"{PREFIX}.AgentStatusChanged"
    agent_id: str
    status: str


class AgentWrapUpStarted(Event):
    """The agent completed a contact and is in after-contact work on it until `until`."""

    subject: ClassVar[str] = f"{PREFIX}.AgentWrapUpStarted"
    agent_id: str
    contact_id: uuid.UUID
    until: datetime


class AgentWrapUpEnded(Event):
    """The wrap-up is over: its time ran out (`time`) or the agent said so (`ready`)."""

    subject: ClassVar[str] = f"{PREFIX}.AgentWrapUpEnded"
    agent_id: str
    contact_id: uuid.UUID
    reason: str


class Deadline(Event):
    """Fired by a NATS message schedule. One schedule subject per deadline: publishing it
    again replaces it, so (re)scheduling is idempotent."""

    kind: ClassVar[str]

    def key(self) -> str:
        raise NotImplementedError

    def schedule_subject(self) -> str:
        return f"sb.timers.{self.kind}.{self.key()}"

    def fire_subject(self) -> str:
        return f"sb.timers.fired.{self.kind}.{self.key()}"


class OfferDeadline(Deadline):
    """An offer's time is up."""

    subject: ClassVar[str] = "sb.timers.fired.offer.*"
    kind: ClassVar[str] = "offer"
    contact_id: uuid.UUID
    offer_id: uuid.UUID

    def key(self) -> str:
        return str(self.offer_id)


class WaitDeadline(Deadline):
    """A queued contact has waited as long as the queue allows without any agent free."""

    subject: ClassVar[str] = "sb.timers.fired.wait.*"
    kind: ClassVar[str] = "wait"
    contact_id: uuid.UUID

    def key(self) -> str:
        return str(self.contact_id)


class IdentifyDeadline(Deadline):
    """History did not say in time who the customer is: route without knowing."""

    subject: ClassVar[str] = "sb.timers.fired.identify.*"
    kind: ClassVar[str] = "identify"
    contact_id: uuid.UUID

    def key(self) -> str:
        return str(self.contact_id)


class PresenceDeadline(Deadline):
    """An agent sent no heartbeat in time: they closed the desk or lost their connection."""

    subject: ClassVar[str] = "sb.timers.fired.presence.*"
    kind: ClassVar[str] = "presence"
    agent_id: str

    def key(self) -> str:
        return self.agent_id


class WrapUpDeadline(Deadline):
    """An agent's after-contact work on a contact is over."""

    subject: ClassVar[str] = "sb.timers.fired.wrapup.*"
    kind: ClassVar[str] = "wrapup"
    agent_id: str
    contact_id: uuid.UUID

    def key(self) -> str:
        return str(self.contact_id)


class ConversationDeadline(Deadline):
    """A held conversation's clock: a snooze ends, or a pending one resolves itself. One
    schedule per contact: pending and snoozed replace each other, as they do on the contact;
    the handler acts only if the contact still waits for this very `due`."""

    subject: ClassVar[str] = "sb.timers.fired.conversation.*"
    kind: ClassVar[str] = "conversation"
    contact_id: uuid.UUID
    due: datetime

    def key(self) -> str:
        return str(self.contact_id)
