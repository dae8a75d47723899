"""What Twilio sends for an inbound SMS, signed with the configured auth token: to try the
SMS channel (and its conversations) on this machine without a Twilio account or a phone.
The request goes through the same signature check as Twilio's own."""

from __future__ import annotations

import uuid

import httpx
from twilio.request_validator import RequestValidator

from schemas.config import SwitchboardConfig
from switchboard.settings import Settings

MESSAGING_PATH = "/channels/twilio/messaging"


def play_inbound_sms(
    settings: Settings, config: SwitchboardConfig, sender: str, text: str, to: str | None
) -> httpx.Response:
    twilio = config.channels.twilio
    if twilio is None:
        raise LookupError("no [channels.twilio] in the configuration")
    url = settings.callback_base() + MESSAGING_PATH
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": twilio.account_sid,
        "From": sender,
        "To": to or twilio.from_number or "",
        "Body": text,
        "NumMedia": "0",
    }
    signature = RequestValidator(twilio.auth_token).compute_signature(url, params)
    return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
