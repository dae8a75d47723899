"""What a caller waiting in the queue hears, and their wish to be called back.

Twilio fetches the Enqueue waitUrl whenever its TwiML runs out: hold music inside a
`<Gather>` for the callback digit, then a `<Redirect>` to loop. The digit's action records
a CallbackAsked (the contact keeps its place) before the caller hears a confirmation and
`<Hangup/>`; the hang-up that follows does not abandon the contact (routing knows)."""

from __future__ import annotations

from collections.abc import Sequence

from twilio.twiml.voice_response import VoiceResponse

from events import CallbackAsked, InboundEvent
from events.interactions import InboundMessage
from schemas.identity import InvalidIdentity, normalize_phone
from services.ingest.adapter import Accepted, InboundRequest, Reply
from services.ingest.twilio_signature import TwilioAdapterBase, required, twilio_fields
from services.ingest.twilio_voice import WAIT_PATH, WITHHELD
from services.voice.twiml import callback_confirmed, hold_loop

DIGIT_PATH = f"{WAIT_PATH}/digit"


def _xml(twiml: str) -> Reply:
    return Reply(twiml.encode(), media_type="application/xml", status=200)


class TwilioWaitAdapter(TwilioAdapterBase):
    """The hold loop (Enqueue waitUrl): hold music, and a digit for a callback."""

    name = "twilio-voice-wait"
    path = "/twilio/voice/wait"

    def parse(self, request: InboundRequest) -> Sequence[InboundMessage]:
        twilio_fields(request)  # form-encoded, like every Twilio request
        return []

    def reply(self, request: InboundRequest, accepted: Sequence[Accepted]) -> Reply:
        assert self.twilio is not None
        return _xml(hold_loop(self.twilio, DIGIT_PATH, WAIT_PATH))


class TwilioCallbackDigitAdapter(TwilioAdapterBase):
    """The digit a waiting caller pressed: the callback digit asks to be called back."""

    name = "twilio-voice-callback-digit"
    path = "/twilio/voice/wait/digit"

    def parse(self, request: InboundRequest) -> Sequence[InboundMessage]:
        assert self.twilio is not None
        fields = twilio_fields(request)
        if str(fields.get("Digits") or "") != self.twilio.callback_digit:
            return []
        account, call_sid = required(fields, "AccountSid"), required(fields, "CallSid")
        caller = str(fields.get("From") or "").strip()
        if caller.lower() in WITHHELD:
            return []  # no number to call back: the caller keeps waiting
        try:
            number = normalize_phone(caller, self.config.ingest.default_region)
        except InvalidIdentity:
            return []
        return [
            CallbackAsked(
                interaction_id=InboundEvent.id_for("voice", account, call_sid),
                call_sid=call_sid,
                number=number,
            )
        ]

    def reply(self, request: InboundRequest, accepted: Sequence[Accepted]) -> Reply:
        if accepted:
            return _xml(callback_confirmed())
        response = VoiceResponse()
        response.redirect(WAIT_PATH)  # another digit, or no number: back to the music
        return _xml(str(response))
