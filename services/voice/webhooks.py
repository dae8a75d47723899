"""Twilio's callbacks about the legs of a contact's conference and its recording: signed
webhooks (checked like every Twilio route) that become events on INBOUND for routing to
record on the contact. The contact, leg and attempt ride in the callback URL's query, which
the bridge chose and Twilio signs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from events import CallLegReported, CallRecordingReported
from events.interactions import InboundMessage
from services.ingest.adapter import InboundRequest
from services.ingest.twilio_signature import TwilioAdapterBase, required, twilio_fields
from services.ingest.twilio_voice import CALL_STATUSES
from switchboard.errors import BadInput

LEGS = ("agent", "customer", "supervisor")


def _query(request: InboundRequest) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def _contact(query: dict[str, str]) -> uuid.UUID:
    try:
        return uuid.UUID(query.get("contact", ""))
    except ValueError:
        raise BadInput.field("contact", "not a contact id") from None


def _number(fields: dict[str, Any], name: str) -> int | None:
    value = str(fields.get(name) or "").strip()
    return int(value) if value.isdigit() else None


class TwilioLegStatusAdapter(TwilioAdapterBase):
    """Status callbacks of a leg the bridge dialled (initiated, ringing, answered,
    completed, no-answer, busy, failed, canceled)."""

    name = "twilio-voice-leg"
    path = "/twilio/voice/leg"

    def parse(self, request: InboundRequest) -> Sequence[InboundMessage]:
        fields = twilio_fields(request)
        query = _query(request)
        status = required(fields, "CallStatus")
        if status not in CALL_STATUSES:
            raise BadInput.field("CallStatus", f"unknown status {status!r}")
        leg = query.get("leg", "")
        if leg not in LEGS:
            raise BadInput.field("leg", f"one of {', '.join(LEGS)}")
        attempt = query.get("attempt", "")
        if not attempt.isdigit():
            raise BadInput.field("attempt", "a number")
        return [
            CallLegReported(
                contact_id=_contact(query),
                leg=leg,  # type: ignore[arg-type]
                attempt=int(attempt),
                call_sid=required(fields, "CallSid"),
                status=status,
                duration=_number(fields, "CallDuration"),
            )
        ]


class TwilioBridgeRecordingAdapter(TwilioAdapterBase):
    """Recording status callbacks of a contact's conference."""

    name = "twilio-voice-bridge-recording"
    path = "/twilio/voice/bridge-recording"

    def parse(self, request: InboundRequest) -> Sequence[InboundMessage]:
        fields = twilio_fields(request)
        return [
            CallRecordingReported(
                contact_id=_contact(_query(request)),
                recording_sid=required(fields, "RecordingSid"),
                status=str(fields.get("RecordingStatus") or "completed"),
                duration=_number(fields, "RecordingDuration"),
                channels=_number(fields, "RecordingChannels"),
            )
        ]
