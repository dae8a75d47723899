"""Agents' replies on SMS and WhatsApp, through the twilio REST client."""

from __future__ import annotations

import uuid

from twilio.base.exceptions import TwilioException, TwilioRestException

from events import ReplyRequested
from schemas.config import TwilioConfig
from services.ingest.replies import SendFailed
from services.ingest.reply_media import ReplyMedia
from switchboard.document_pdf import attachment_pdf
from switchboard.twilio_rest import close_twilio_client, twilio_client, worth_retrying


def status_callback_url(base: str, contact_id: uuid.UUID, reply_id: uuid.UUID) -> str:
    """Twilio reports delivery here; the query names the reply it is about."""
    return (
        f"{base.rstrip('/')}/channels/twilio/messaging/status?contact={contact_id}&reply={reply_id}"
    )


class TwilioMessagingSender:
    reply_channels = frozenset({"sms", "whatsapp"})

    def __init__(
        self, config: TwilioConfig, callback_base: str, media: ReplyMedia | None = None
    ) -> None:
        self.config = config
        self.callback_base = callback_base
        self.client = twilio_client(config)
        self.media = media

    async def close(self) -> None:
        await close_twilio_client(self.client)

    def addresses(self, reply: ReplyRequested) -> tuple[str, str]:
        """(to, from): back to the customer, from the number they wrote to."""
        origin = reply.origin
        sender = origin.get("sender") or {}
        attributes = origin.get("attributes") or {}
        our_number = attributes.get("To") or attributes.get("to") or self.config.from_number
        if reply.channel == "whatsapp":
            to = sender.get("handle") or f"whatsapp:{sender.get('phone')}"
            if our_number and not str(our_number).startswith("whatsapp:"):
                our_number = f"whatsapp:{our_number}"
        else:
            to = sender.get("phone")
        if not to or not our_number:
            raise SendFailed("no number to answer to or from")
        return str(to), str(our_number)

    async def send(self, reply: ReplyRequested) -> str | None:
        to, from_ = self.addresses(reply)
        media: dict[str, list[str]] = {}
        if reply.attachment:
            if self.media is None:
                raise SendFailed("no media URL to give Twilio for the document")
            url = await self.media.put(reply.reply_id, attachment_pdf(reply.attachment))
            media["media_url"] = [url]
        try:
            message = await self.client.messages.create_async(
                to=to,
                from_=from_,
                body=reply.text,
                **media,
                status_callback=status_callback_url(
                    self.callback_base, reply.contact_id, reply.reply_id
                ),
            )
        except TwilioRestException as exc:
            retry = worth_retrying(exc.status)
            raise SendFailed(f"Twilio {exc.status} {exc.code}: {exc.msg}", retry=retry) from exc
        except (TwilioException, OSError) as exc:
            raise SendFailed(f"Twilio unreachable: {exc}", retry=True) from exc
        return str(message.sid)
