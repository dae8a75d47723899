"""SMS and WhatsApp through Twilio Messaging, and delivery reports for agents' replies."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from urllib.parse import parse_qs, urlparse

from events import Attachment, InboundEvent, InteractionReceived, ReplyStatusChanged, Sender
from events.interactions import InboundMessage
from schemas import verification
from schemas.config import SwitchboardConfig
from schemas.identity import InvalidIdentity, normalize_phone
from services.ingest.adapter import InboundRequest
from services.ingest.endpoints import language_of_number, region_of_number
from services.ingest.twilio_signature import TwilioAdapterBase, required, twilio_fields
from switchboard.errors import BadInput

WHATSAPP = "whatsapp:"
WHATSAPP_VERIFIED: dict[str, str] = {
    "phone": verification.WHATSAPP,
    "handle": verification.WHATSAPP,
}
# Twilio's MessageStatus values that say something final about a reply.
DELIVERY = {
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
}


class TwilioMessagingAdapter(TwilioAdapterBase):
    """An inbound SMS or WhatsApp message (`whatsapp:` senders are WhatsApp)."""

    name = "twilio-messaging"
    path = "/twilio/messaging"

    def parse(self, request: InboundRequest) -> Sequence[InboundEvent]:
        fields = twilio_fields(request)
        sid = required(fields, "MessageSid")
        sender = required(fields, "From")
        channel = "whatsapp" if sender.startswith(WHATSAPP) else "sms"
        try:
            region = region_of_number(self.config, fields.get("To"))
            phone = normalize_phone(sender.removeprefix(WHATSAPP), region)
        except InvalidIdentity as exc:
            raise BadInput.field("From", str(exc)) from None
        try:
            media_count = int(fields.get("NumMedia") or 0)
        except ValueError:
            raise BadInput.field("NumMedia", "must be a whole number") from None
        if not 0 <= media_count <= 10:  # Twilio allows up to 10 media per message
            raise BadInput.field("NumMedia", "must be between 0 and 10")
        attachments = [
            Attachment(
                url=required(fields, f"MediaUrl{i}"),
                content_type=str(fields.get(f"MediaContentType{i}") or "application/octet-stream"),
            )
            for i in range(media_count)
        ]
        to = str(fields.get("To") or "")
        attributes = {"To": to} if to else {}
        if language := language_of_number(self.config, to):
            attributes["language"] = language  # the number's: no detection needed
        return [
            InteractionReceived(
                interaction_id=InboundEvent.id_for(channel, required(fields, "AccountSid"), sid),
                channel=channel,
                source=required(fields, "AccountSid"),
                external_id=sid,
                sender=Sender(
                    phone=phone,
                    name=fields.get("ProfileName") or None,
                    handle=f"{WHATSAPP}{phone}" if channel == "whatsapp" else None,
                    # An SMS sender number can be spoofed; WhatsApp's is the platform's.
                    verified=WHATSAPP_VERIFIED if channel == "whatsapp" else {},
                ),
                text=str(fields.get("Body") or ""),
                attachments=attachments,
                attributes=attributes,
                # One conversation per customer and business number.
                conversation_key=f"{channel}:{to}:{phone}",
            )
        ]


class TwilioMessageStatusAdapter(TwilioAdapterBase):
    """Delivery reports for agents' replies (the StatusCallback our sender asks for)."""

    name = "twilio-messaging-status"
    path = "/twilio/messaging/status"

    def parse(self, request: InboundRequest) -> Sequence[InboundMessage]:
        fields = twilio_fields(request)
        sid = required(fields, "MessageSid")
        status = required(fields, "MessageStatus")
        query = parse_qs(urlparse(request.url).query)
        try:
            contact_id = uuid.UUID(query["contact"][0])
            reply_id = uuid.UUID(query["reply"][0])
        except (KeyError, ValueError):
            raise BadInput.field("contact", "the callback URL names no reply") from None
        if status not in DELIVERY:
            return []  # queued, sending, sent: we recorded "sent" when Twilio accepted it
        error = fields.get("ErrorCode")
        return [
            ReplyStatusChanged(
                contact_id=contact_id,
                reply_id=reply_id,
                channel="whatsapp" if str(fields.get("To", "")).startswith(WHATSAPP) else "sms",
                status=DELIVERY[status],  # type: ignore[arg-type]
                provider_id=sid,
                detail=f"Twilio error {error}" if error else None,
            )
        ]


def create(config: SwitchboardConfig) -> list[TwilioAdapterBase] | None:
    if config.channels.twilio is None:
        return None
    return [TwilioMessagingAdapter(config), TwilioMessageStatusAdapter(config)]
