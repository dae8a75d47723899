"""What each channel sends, signed the way the channel signs it: the fault suite, the load
generator and the ingest benchmark all drive a system with these."""

from __future__ import annotations

import json
from collections.abc import Callable
from email.message import EmailMessage
from urllib.parse import urlencode

from services.ingest.api_channel import sign
from tests.support import social
from tests.support.auth import auth_toml
from tests.support.twilio_signing import signed_headers

TWILIO_TOKEN = "traffic-twilio-token"
TWILIO_ACCOUNT = "AC" + "7" * 32
BOT = "trafficbot"
BOT_SECRET = "traffic-telegram-secret"
API_CHANNEL = "shop"
API_SECRET = "traffic-api-secret-0123"
FORM = "contact-us"


# Nothing listens there: replies by SMS must never leave this machine for the real Twilio.
NO_TWILIO = "http://127.0.0.1:9"


def channels_toml(smtp_port: int, twilio_api: str | None = None) -> str:
    """The configuration these requests are valid against (inbound e-mail on `smtp_port`;
    replies by SMS go to `twilio_api`, a local server speaking Twilio's REST API)."""
    return f"""
[ingest]
# All traffic comes from this one machine: the per-address form limit would stop it.
form_burst = 1000000
form_per_hour = 1e9

[[forms]]
id = "{FORM}"

[[channels.telegram]]
name = "{BOT}"
secret_token = "{BOT_SECRET}"

[[channels.api]]
id = "{API_CHANNEL}"
secret = "{API_SECRET}"

[channels.twilio]
account_sid = "{TWILIO_ACCOUNT}"
auth_token = "{TWILIO_TOKEN}"
api_base_url = "{twilio_api or NO_TWILIO}"

[channels.email]
port = {smtp_port}
# As above: one machine sends every mail.
sender_burst = 1000000
sender_per_hour = 1e9
""" + social.social_toml(NO_TWILIO)  # replies there must not leave this machine either


AGENTS = ("alice", "bob")
SUPERVISOR = "sam"


def system_toml(
    smtp_port: int,
    twilio_api: str | None = None,
    offer_timeout: float = 60,
    capacity: int = 100_000,
) -> str:
    """A whole system's configuration for traffic: two agents with room for everything
    (`capacity`), so every contact is offered at once, below sam, who gets escalations by
    e-mail; the API tokens of tests.support.auth."""
    people = "".join(
        f'\n[[people]]\nid = "{a}"\nname = "{a.title()}"\nsupervisor = "{SUPERVISOR}"\n'
        f"capacity = {{ messaging = {capacity}, email = {capacity} }}\n"
        for a in AGENTS
    )
    return (
        f"[routing]\noffer_timeout_seconds = {offer_timeout}\n"
        "escalation_timeout_seconds = 3600\nmax_wait_seconds = 3600\n"
        "heartbeat_timeout_seconds = 3600\n"
        + people
        + f'\n[[people]]\nid = "{SUPERVISOR}"\nname = "Sam"\nrole = "supervisor"\n'
        f'email = "{SUPERVISOR}@example.com"\n' + channels_toml(smtp_port, twilio_api) + auth_toml()
    )


Request = tuple[str, bytes, dict[str, str]]  # path, body, headers


def webform(n: int, text: str) -> Request:
    body = {"email": f"w{n}@example.com", "message": text, "submission_id": f"s-{n}"}
    headers = {"content-type": "application/json"}
    return f"/channels/webform/{FORM}", json.dumps(body).encode(), headers


def telegram(n: int, text: str) -> Request:
    # One chat per message: each its own customer, so every contact can be told apart.
    chat = 10_000_000 + n
    update = {
        "update_id": n,
        "message": {
            "message_id": n,
            "date": 1700000000,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "Ana"},
            "text": text,
        },
    }
    headers = {"content-type": "application/json", "x-telegram-bot-api-secret-token": BOT_SECRET}
    return f"/channels/telegram/{BOT}", json.dumps(update).encode(), headers


def api(n: int, text: str) -> Request:
    message = {"message_id": f"m-{n}", "sender": {"email": f"a{n}@example.com"}, "text": text}
    body = json.dumps(message).encode()
    headers = {
        "content-type": "application/json",
        "x-switchboard-signature": sign(API_SECRET, body),
    }
    return f"/channels/api/{API_CHANNEL}/messages", body, headers


def twilio_sms(n: int, text: str, base: str) -> Request:
    """`base` is the URL the system is reached at: Twilio signs the URL it calls."""
    params = {
        "MessageSid": f"SM{n:032d}",
        "AccountSid": TWILIO_ACCOUNT,
        "From": f"+49151{n:08d}",
        "To": "+4930123456",
        "Body": text,
        "NumMedia": "0",
    }
    path = "/channels/twilio/messaging"
    headers = signed_headers(base + path, params, TWILIO_TOKEN)
    return path, urlencode(params).encode(), headers


def email(n: int, text: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"c{n}@example.com"
    msg["To"] = "support@shop.example"
    msg["Subject"] = text
    msg["Message-ID"] = f"<traffic-{n}@mail.example>"
    msg.set_content(text)
    return msg


def messenger(n: int, text: str) -> Request:
    return social.meta_request("messenger", social.messenger_message(n, text))


def instagram(n: int, text: str) -> Request:
    return social.meta_request("instagram", social.messenger_message(n, text, "instagram"))


def vk(n: int, text: str) -> Request:
    return social.vk_request(social.vk_message(n, text))


def discourse(n: int, text: str) -> Request:
    return social.discourse_request(social.discourse_post(n, text))


# Channels reached over HTTP: name -> (channel on INBOUND, request builder(n, text, base)).
HTTP_CHANNELS: dict[str, tuple[str, Callable[[int, str, str], Request]]] = {
    "webform": ("webform", lambda n, text, _: webform(n, text)),
    "telegram": ("telegram", lambda n, text, _: telegram(n, text)),
    "api": ("api", lambda n, text, _: api(n, text)),
    "twilio-sms": ("sms", twilio_sms),
    "messenger": ("messenger", lambda n, text, _: messenger(n, text)),
    "instagram": ("instagram", lambda n, text, _: instagram(n, text)),
    "vk": ("vk", lambda n, text, _: vk(n, text)),
    "discourse": ("discourse", lambda n, text, _: discourse(n, text)),
}
EMAIL_CHANNEL = "email"
