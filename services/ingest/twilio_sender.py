"""Agents' replies on SMS and WhatsApp, through the twilio REST client."""

from __future__ import annotations

import uuid

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from events import ReplyRequested
from schemas.config import TwilioConfig
from services.ingest.replies import SendFailed


def status_callback_url(base: str, contact_id: uuid.UUID, reply_id: uuid.UUID) -> str:
    """Twilio reports delivery here; the query names the reply it is about."""
    return (
        f"{base.rstrip('/')}/channels/twilio/messaging/status?contact={contact_id}&reply={reply_id}"
    )


class TwilioMessagingSender:
    reply_channels = frozenset({"sms", "whatsapp"})

    def __init__(self, config: TwilioConfig, callback_base: str) -> None:
        self.config = config
        self.callback_base = callback_base
        self.client = Client(
            config.account_sid, config.auth_token, http_client=AsyncTwilioHttpClient()
        )
        if config.api_base_url:
            self.client.api.base_url = config.api_base_url

    async def close(self) -> None:
        http_client = self.client.http_client
        if isinstance(http_client, AsyncTwilioHttpClient):
            await http_client.close()

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
        try:
            message = await self.client.messages.create_async(
                to=to,
                from_=from_,
                body=reply.text,
                status_callback=status_callback_url(
                    self.callback_base, reply.contact_id, reply.reply_id
                ),
            )
        except TwilioRestException as exc:
            # 4xx: Twilio looked at it and said no; 5xx/429: try again later.
            retry = exc.status >= 500 or exc.status == 429
            raise SendFailed(f"Twilio {exc.status} {exc.code}: {exc.msg}", retry=retry) from exc
        except (TwilioException, OSError) as exc:
            raise SendFailed(f"Twilio unreachable: {exc}", retry=True) from exc
        return str(message.sid)
