"""Phone calls through Twilio Voice: the call, its status changes, its recording."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from events import InboundEvent, InteractionReceived, InteractionUpdated, Sender
from schemas.config import SwitchboardConfig
from schemas.identity import InvalidIdentity, normalize_phone
from schemas.verification import stir_verification
from services.ingest.adapter import Accepted, InboundRequest, Reply
from services.ingest.endpoints import language_of_number, region_of_number, voice_greeting
from services.ingest.twilio_signature import TwilioAdapterBase, required, twilio_fields
from switchboard.errors import BadInput

CALL_STATUSES = frozenset(
    {
        "queued",
        "initiated",
        "ringing",
        "in-progress",
        "completed",
        "busy",
        "no-answer",
        "failed",
        "canceled",
    }
)
# Where Twilio asks what a waiting caller hears (relative to the host it called).
WAIT_PATH = "/channels/twilio/voice/wait"
# What Twilio sends as From when the caller withholds their number.
WITHHELD = frozenset({"anonymous", "restricted", "unknown", "unavailable", ""})


def call_id(fields: dict[str, Any]) -> tuple[str, str]:
    """(AccountSid, CallSid). Recording callbacks carry no To/From, but every callback
    carries these two, so the call, its statuses and its recording find each other."""
    return required(fields, "AccountSid"), required(fields, "CallSid")


class TwilioVoiceAdapter(TwilioAdapterBase):
    """An incoming call: recorded as an interaction; the caller hears a greeting and waits."""

    name = "twilio-voice"
    path = "/twilio/voice"

    def parse(self, request: InboundRequest) -> Sequence[InboundEvent]:
        fields = twilio_fields(request)
        source, sid = call_id(fields)
        caller = str(fields.get("From") or "").strip()
        phone = None
        if caller.lower() not in WITHHELD:
            try:
                phone = normalize_phone(caller, region_of_number(self.config, fields.get("To")))
            except InvalidIdentity as exc:
                raise BadInput.field("From", str(exc)) from None
        attributes = {
            k: str(fields[k])
            for k in ("To", "CallStatus", "Direction", "FromCity", "FromState", "FromCountry")
            if fields.get(k)
        }
        if phone is None:
            attributes["caller"] = caller or "withheld"
        # A call has no text to detect from: the number's language, if it has one.
        if language := language_of_number(self.config, fields.get("To")):
            attributes["language"] = language
        return [
            InteractionReceived(
                interaction_id=InboundEvent.id_for("voice", source, sid),
                channel="voice",
                source=source,
                external_id=sid,
                sender=Sender(
                    phone=phone,
                    name=fields.get("CallerName") or None,
                    # The carrier's STIR/SHAKEN attestation, as Twilio passes it on.
                    verified={"phone": stir_verification(fields.get("StirVerstat"))},
                ),
                text="Incoming call",
                attributes=attributes,
                conversation_key=f"voice:{phone}" if phone else None,
            )
        ]

    def reply(self, request: InboundRequest, accepted: Sequence[Accepted]) -> Reply:
        assert self.twilio is not None
        response = VoiceResponse()
        greeting, language = voice_greeting(self.config, request.fields().get("To"))
        response.say(greeting, language=language)
        # The wait loop (services/voice/ivr.py) plays the hold music and offers a callback.
        response.enqueue(self.twilio.queue_name, wait_url=WAIT_PATH)
        return Reply(str(response).encode(), media_type="application/xml", status=200)


class TwilioVoiceStatusAdapter(TwilioAdapterBase):
    """Call status callbacks: a caller who hangs up before an agent takes the call
    abandons the contact (routing decides)."""

    name = "twilio-voice-status"
    path = "/twilio/voice/status"

    def parse(self, request: InboundRequest) -> Sequence[InboundEvent]:
        fields = twilio_fields(request)
        source, sid = call_id(fields)
        status = required(fields, "CallStatus")
        if status not in CALL_STATUSES:
            raise BadInput.field("CallStatus", f"unknown status {status!r}")
        attributes = {"duration": str(fields["CallDuration"])} if fields.get("CallDuration") else {}
        return [
            InteractionUpdated(
                interaction_id=InboundEvent.id_for("voice", source, sid),
                channel="voice",
                source=source,
                external_id=f"{sid}:{status}",  # each status of a call is recorded once
                kind="status",
                status=status,
                attributes=attributes,
            )
        ]


class TwilioRecordingAdapter(TwilioAdapterBase):
    """Recording status callbacks: where the call's recording can be fetched."""

    name = "twilio-voice-recording"
    path = "/twilio/voice/recording"

    def parse(self, request: InboundRequest) -> Sequence[InboundEvent]:
        fields = twilio_fields(request)
        source, sid = call_id(fields)
        recording = required(fields, "RecordingSid")
        url = required(fields, "RecordingUrl")
        attributes = {"recording_sid": recording, "recording_url": url}
        for field, key in (("RecordingDuration", "duration"), ("RecordingStatus", "status")):
            if fields.get(field):
                attributes[key] = str(fields[field])
        return [
            InteractionUpdated(
                interaction_id=InboundEvent.id_for("voice", source, sid),
                channel="voice",
                source=source,
                external_id=f"{sid}:{recording}:{fields.get('RecordingStatus', '')}",
                kind="recording",
                status=str(fields.get("RecordingStatus") or "completed"),
                attributes=attributes,
            )
        ]


def create(config: SwitchboardConfig) -> list[TwilioAdapterBase] | None:
    if config.channels.twilio is None:
        return None
    # The legs and recordings of connected calls (services/voice) arrive on the same number.
    from services.voice.ivr import TwilioCallbackDigitAdapter, TwilioWaitAdapter
    from services.voice.webhooks import TwilioBridgeRecordingAdapter, TwilioLegStatusAdapter

    return [
        TwilioVoiceAdapter(config),
        TwilioVoiceStatusAdapter(config),
        TwilioRecordingAdapter(config),
        TwilioLegStatusAdapter(config),
        TwilioBridgeRecordingAdapter(config),
        TwilioWaitAdapter(config),
        TwilioCallbackDigitAdapter(config),
    ]
