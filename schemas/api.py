"""Request and response models of the HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.customers import LastContact, Note, OpenConversation, Organization

AgentStatus = Literal["available", "away", "offline"]


class ErrorDetail(BaseModel):
    field: str
    problem: str


class ErrorResponse(BaseModel):
    error: str
    details: list[ErrorDetail] = Field(default_factory=list)


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class SessionView(BaseModel):
    user: str
    role: str
    token: str | None = Field(default=None, description="only when signing in")
    locale: str | None = Field(default=None, description="the person's page language")
    time_zone: str | None = Field(default=None, description="IANA zone their times show in")


class IngestAccepted(BaseModel):
    interaction_id: uuid.UUID
    duplicate: bool


class AgentStatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: AgentStatus


class AgentView(BaseModel):
    agent_id: str
    name: str
    role: str
    status: str
    supervisor: str | None
    pending_offers: int
    active_contacts: int
    wrap_up_until: datetime | None = Field(
        default=None, description="in after-contact work until then (POST .../ready ends it)"
    )
    skills: dict[str, int] = Field(default_factory=dict)
    languages: list[str] = Field(default_factory=list)


class OfferView(BaseModel):
    offer_id: uuid.UUID
    contact_id: uuid.UUID
    agent_id: str
    channel: str
    summary: str
    escalation_level: int
    offered_at: datetime
    expires_at: datetime | None
    queue: str | None = None
    customer_id: uuid.UUID | None = Field(default=None, description="once history knows them")
    sticky: bool = Field(default=False, description="offered as the customer's last agent")


class ContactView(BaseModel):
    contact_id: uuid.UUID
    status: str
    channel: str
    agent_id: str | None
    escalation_level: int
    queue: str | None = None
    customer_id: uuid.UUID | None = None
    summary: str = ""
    priority: int = 0
    waiting_since: datetime | None = None
    request_type: str | None = Field(default=None, description="what it is about (or none)")
    # The conversation (one contact per conversation: later messages join it).
    message_count: int = Field(default=1, description="the customer's messages in it")
    last_message_at: datetime | None = None
    unread: int = Field(default=0, description="customer messages its holder has not read")
    conversation: Literal["open", "pending", "snoozed"] | None = Field(
        default=None, description="while held: open, pending on the customer, or snoozed"
    )
    snoozed_until: datetime | None = None
    resolve_at: datetime | None = Field(
        default=None, description="pending: resolves itself then, unless the customer answers"
    )
    follows: uuid.UUID | None = Field(
        default=None, description="the same thread's previous contact, if any"
    )
    reopened: int = Field(default=0, description="times the customer reopened it")
    language: str | None = Field(
        default=None, description="what routing matched: the channel's, detected or the customer's"
    )
    language_confidence: float | None = Field(default=None, description="when it was detected")


class MessageView(BaseModel):
    """One message of a conversation's transcript, either way."""

    seq: int = Field(description="its place in the conversation; ?before= pages back from it")
    direction: Literal["in", "out"]
    message_id: uuid.UUID = Field(description="the interaction (in) or the reply (out)")
    at: datetime
    channel: str
    subject: str | None = None
    text: str
    attachments: list[dict[str, Any]] = Field(default_factory=list)
    agent_id: str | None = Field(default=None, description="who wrote it (out)")
    status: str | None = Field(
        default=None, description="out: requested, sent, delivered, failed or uncertain"
    )
    automatic: bool = Field(default=False, description="an auto-reply: it reopens nothing")


class SnoozeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: datetime = Field(description="when it comes back to its holder (with a time zone)")


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: str = Field(min_length=1, max_length=64)


class TransferRequest(BaseModel):
    """To a queue (the contact's own when neither is given), or straight to an agent."""

    model_config = ConfigDict(extra="forbid")
    queue: str | None = Field(default=None, max_length=64)
    agent_id: str | None = Field(default=None, max_length=64)
    reason: str = Field(default="", max_length=300)


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=300)


class QueueView(BaseModel):
    name: str
    strategy: str
    supervisor: str | None
    sla_seconds: float
    waiting: int
    agents: list[str]


class CandidateVerdict(BaseModel):
    agent_id: str
    verdict: str


class RoutingDecision(BaseModel):
    """One decision routing took on a contact, and why."""

    # skip: the account owner (target) or their team could not be offered it (reason).
    step: Literal["offer", "escalate", "wait", "skip"]
    target: str | None
    reason: str
    candidates: list[CandidateVerdict]
    at: datetime


class QueueStats(BaseModel):
    queue: str
    # right now
    waiting: int
    longest_waiting_seconds: float | None
    agents_by_status: dict[str, int]
    agents_busy: int
    # since the store began
    queued: int
    offered: int
    accepted: int
    declined: int
    expired: int
    escalated: int
    abandoned: int
    completed: int
    reopened: int = Field(default=0, description="contacts the customer reopened")
    messages: int = Field(default=0, description="customer messages (contacts count conversations)")
    average_speed_of_answer_seconds: float | None
    service_level: float | None = Field(
        description="answered within sla_seconds / (answered + abandoned)"
    )
    sla_seconds: float


class CompleteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disposition: str = Field(default="resolved", min_length=1, max_length=100)


class ReplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)


class ReplyAccepted(BaseModel):
    reply_id: uuid.UUID


class TimelineEntry(BaseModel):
    position: int
    at: datetime
    kind: str
    channel: str | None
    contact_id: uuid.UUID | None
    summary: str
    data: dict[str, Any]


class CustomerView(BaseModel):
    """The contact card: a merged customer shows everything of the customers it absorbed."""

    customer_id: uuid.UUID
    name: str | None
    identities: list[str]
    verified_by: dict[str, str] = Field(
        default_factory=dict,
        description="how each identity was verified (stir-a, dkim, api-signature, telegram, "
        "meta, vk, whatsapp) or `unverified`: only verified ones merge without a supervisor",
    )
    organization: Organization | None = None
    reason: str | None = Field(default=None, description="why they contacted us, latest")
    tier: str | None = None
    owner_id: str | None = Field(default=None, description="the account owner (an agent)")
    owner_via: Literal["customer", "organization"] | None = Field(
        default=None, description="whose owner that is: the customer's own or their organization's"
    )
    tags: list[str] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    last_contacts: list[LastContact] = Field(default_factory=list, description="newest first")
    open_conversations: list[OpenConversation] = Field(
        default_factory=list, description="not resolved yet, newest first"
    )
    merged_from: list[uuid.UUID] = Field(default_factory=list)


class NotificationView(BaseModel):
    """One message the notifier sent (or could not send) to one person on one channel."""

    notification_id: uuid.UUID
    cause_event_id: uuid.UUID
    contact_id: uuid.UUID | None
    recipient: str
    channel: str
    address: str
    subject: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_error: str | None
    requested_at: datetime
    updated_at: datetime


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, str]
