"""What every Twilio route shares: the request signature (checked with the twilio library),
form fields, and the empty TwiML answer to a callback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from schemas.config import SwitchboardConfig, TwilioConfig
from services.ingest.adapter import Accepted, InboundRequest, Reply
from switchboard.errors import BadInput, BadSignature, UnknownSource

SIGNATURE_HEADER = "x-twilio-signature"
EMPTY_TWIML = str(VoiceResponse()).encode()  # <Response />: nothing more to do


def twilio_fields(request: InboundRequest) -> dict[str, Any]:
    """Twilio posts form-encoded fields (JSON bodies are for Twilio's newer products only)."""
    if not request.content_type.lower().startswith("application/x-www-form-urlencoded"):
        raise BadInput.field("content-type", "Twilio webhooks are form-encoded")
    return request.fields()


def verify_twilio(request: InboundRequest, config: TwilioConfig | None) -> None:
    if config is None:
        raise UnknownSource("Twilio is not configured")
    if not config.verify_signatures:
        return  # explicitly turned off in the config, for a local demo
    signature = request.header(SIGNATURE_HEADER)
    if not signature:
        raise BadSignature("X-Twilio-Signature missing")
    try:
        params = twilio_fields(request)
    except BadInput:
        raise BadSignature("X-Twilio-Signature does not match") from None
    if not RequestValidator(config.auth_token).validate(request.url, params, signature):
        raise BadSignature("X-Twilio-Signature does not match")


def required(fields: dict[str, Any], name: str) -> str:
    value = str(fields.get(name) or "").strip()
    if not value:
        raise BadInput.field(name, "required")
    return value


class TwilioAdapterBase:
    """Verification and the plain 200 + empty TwiML that Twilio expects from a callback."""

    def __init__(self, config: SwitchboardConfig) -> None:
        self.config = config
        self.twilio: TwilioConfig | None = config.channels.twilio

    def verify(self, request: InboundRequest) -> None:
        verify_twilio(request, self.twilio)

    def reply(self, request: InboundRequest, accepted: Sequence[Accepted]) -> Reply:
        return Reply(EMPTY_TWIML, media_type="application/xml", status=200)
