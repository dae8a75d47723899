"""Contracts of phone calls that connect: what Twilio reports about each leg of a contact's
conference (on INBOUND, from ingest's webhooks), what routing decides about the call (on
EVENTS, relayed from its store like every contact event) and the bridge's deadline.

Every call is a conference per contact (`contact-<uuid>`, no personal data in the name):
the agent's leg is dialled into it first, then the waiting caller is moved in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from events.interactions import INBOUND_SUBJECT_PREFIX, InboundMessage
from events.routing import PREFIX, ContactEvent, Deadline

Leg = Literal["agent", "customer", "supervisor"]
# Twilio's final call statuses for a leg that never connected.
LEG_FAILED = frozenset({"no-answer", "busy", "failed", "canceled"})


def conference_name(contact_id: uuid.UUID) -> str:
    """Opaque and URL-safe: twilio-python puts it into the request path unescaped."""
    return f"contact-{contact_id}"


class CallLegReported(InboundMessage):
    """A status callback of one leg of a contact's conference (the agent's, a supervisor's,
    or the customer called back). `attempt` is the bridge attempt the leg belongs to."""

    subject: ClassVar[str] = f"{INBOUND_SUBJECT_PREFIX}.*.voiceleg"

    contact_id: uuid.UUID
    leg: Leg
    attempt: int
    call_sid: str
    status: str
    duration: int | None = None
    detail: str | None = None

    def msg_id(self) -> str:
        # Each status of a leg once, however often Twilio (or our bridge) reports it. The
        # attempt is part of it: a consulted agent's leg becomes the next attempt's.
        return f"voice-leg:{self.call_sid}:{self.attempt}:{self.status}"

    def partition_key(self) -> str:
        return str(self.contact_id)

    def subject_tail(self) -> str:
        return "voiceleg"


class CallRecordingReported(InboundMessage):
    """Twilio's recording status callback for a contact's conference."""

    subject: ClassVar[str] = f"{INBOUND_SUBJECT_PREFIX}.*.voicerec"

    contact_id: uuid.UUID
    recording_sid: str
    status: str
    duration: int | None = None
    channels: int | None = None

    def msg_id(self) -> str:
        return f"voice-rec:{self.recording_sid}:{self.status}"

    def partition_key(self) -> str:
        return str(self.contact_id)

    def subject_tail(self) -> str:
        return "voicerec"


class CallBridgeRequested(ContactEvent):
    """An agent accepted a call: dial their phone into the contact's conference. Recorded in
    the same transaction as the acceptance; the bridge follows it on EVENTS."""

    subject: ClassVar[str] = f"{PREFIX}.CallBridgeRequested"
    agent_id: str
    attempt: int
    agent_phone: str | None
    conference: str
    customer_call_sid: str
    caller_id: str | None
    record: str
    ring_seconds: float
    # The customer already waits in the conference (a transfer): unhold rather than move.
    customer_in_conference: bool = False
    # A queued callback: once the agent answers, call the customer here.
    callback_to: str | None = None


class CallConnected(ContactEvent):
    """The agent's leg answered: the bridge moves the caller in (or takes them off hold)."""

    subject: ClassVar[str] = f"{PREFIX}.CallConnected"
    agent_id: str
    attempt: int
    agent_call_sid: str
    record: str = "none"
    customer_in_conference: bool = False
    callback_to: str | None = None


class CallBridgeFailed(ContactEvent):
    """The agent's leg did not answer (or could not be dialled) in time: the offer counts
    as expired and the contact is offered again; the caller still waits."""

    subject: ClassVar[str] = f"{PREFIX}.CallBridgeFailed"
    agent_id: str
    attempt: int
    reason: str


class CallLegChanged(ContactEvent):
    """A leg's status, as recorded on the contact (each status of a leg once)."""

    subject: ClassVar[str] = f"{PREFIX}.CallLegChanged"
    leg: str
    attempt: int
    call_sid: str
    status: str


class CallRecorded(ContactEvent):
    """A recording of the call is complete; `link` opens it for signed-in staff only
    (Switchboard fetches it from Twilio; no Twilio credentials or URL leave the server)."""

    subject: ClassVar[str] = f"{PREFIX}.CallRecorded"
    recording_sid: str
    duration_seconds: int | None
    channels: int | None
    link: str


class BridgeDeadline(Deadline):
    """The agent's leg of one bridge attempt has not answered in time (the backstop behind
    Twilio's own ring timeout, e.g. when Twilio or the bridge is down)."""

    subject: ClassVar[str] = "sb.timers.fired.bridge.*"
    kind: ClassVar[str] = "bridge"
    contact_id: uuid.UUID
    attempt: int

    def key(self) -> str:
        return f"{self.contact_id}-{self.attempt}"


class CallbackAsked(InboundMessage):
    """The caller pressed the callback digit while waiting: call them back at `number`
    when an agent accepts; the contact keeps its place. Keyed like the call's own status
    updates (by interaction), so routing sees it before the caller's hang-up that follows."""

    subject: ClassVar[str] = f"{INBOUND_SUBJECT_PREFIX}.*.voicecallback"

    interaction_id: uuid.UUID
    call_sid: str
    number: str

    def msg_id(self) -> str:
        return f"voice-callback:{self.call_sid}"

    def partition_key(self) -> str:
        return str(self.interaction_id)

    def subject_tail(self) -> str:
        return "voicecallback"


class CallbackRequested(ContactEvent):
    """Routing recorded the caller's wish to be called back at `number`."""

    subject: ClassVar[str] = f"{PREFIX}.CallbackRequested"
    number: str
    # Asked for a time (a web form): the contact waits out of the queue until then.
    due_at: datetime | None = None


class CallbackAttemptFailed(ContactEvent):
    """The customer did not answer callback attempt `failures`; `retry_at` is when the
    contact waits for an agent again, None when attempts are used up (then abandoned)."""

    subject: ClassVar[str] = f"{PREFIX}.CallbackAttemptFailed"
    agent_id: str
    attempt: int
    failures: int
    reason: str
    retry_at: datetime | None


class CallbackDeadline(Deadline):
    """Time for the next callback attempt: the contact waits for an agent again."""

    subject: ClassVar[str] = "sb.timers.fired.callback.*"
    kind: ClassVar[str] = "callback"
    contact_id: uuid.UUID
    failures: int

    def key(self) -> str:
        return f"{self.contact_id}-{self.failures}"


VOICE_EVENTS: tuple[type[ContactEvent] | type[InboundMessage] | type[Deadline], ...] = (
    CallLegReported,
    CallRecordingReported,
    CallBridgeRequested,
    CallConnected,
    CallBridgeFailed,
    CallLegChanged,
    CallRecorded,
    BridgeDeadline,
    CallbackAsked,
    CallbackRequested,
    CallbackAttemptFailed,
    CallbackDeadline,
)
