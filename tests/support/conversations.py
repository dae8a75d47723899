"""Customers holding conversations: the n-th message of one customer on one channel, signed
the way the channel signs it (the integration test, the fault test and the chat-storm
benchmark all send these). Unlike tests.support.channels, where each message is a customer
of its own, here one customer writes many messages into one thread."""

from __future__ import annotations

import asyncio
import json
from email.message import EmailMessage
from urllib.parse import urlencode

import aiosmtplib
import httpx

from services.ingest.api_channel import sign
from tests.support.channels import (
    API_CHANNEL,
    API_SECRET,
    BOT,
    BOT_SECRET,
    TWILIO_ACCOUNT,
    TWILIO_TOKEN,
    Request,
)
from tests.support.twilio_signing import signed_headers

CHAT_CHANNELS = ("telegram", "api", "twilio-sms")
# What each of them is called on INBOUND.
CHANNEL_NAMES = {"telegram": "telegram", "api": "api", "twilio-sms": "sms", "email": "email"}


def telegram(customer: int, n: int, text: str) -> Request:
    chat = 20_000_000 + customer
    message_id = customer * 10_000 + n
    update = {
        "update_id": message_id,
        "message": {
            "message_id": message_id,
            "date": 1700000000 + n,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": f"Chat{customer}"},
            "text": text,
        },
    }
    headers = {"content-type": "application/json", "x-telegram-bot-api-secret-token": BOT_SECRET}
    return f"/channels/telegram/{BOT}", json.dumps(update).encode(), headers


def api(customer: int, n: int, text: str) -> Request:
    message = {
        "message_id": f"conv-{customer}-{n}",
        "conversation_id": f"c{customer}",
        "sender": {"email": f"api{customer}@example.com"},
        "text": text,
    }
    body = json.dumps(message).encode()
    headers = {
        "content-type": "application/json",
        "x-switchboard-signature": sign(API_SECRET, body),
    }
    return f"/channels/api/{API_CHANNEL}/messages", body, headers


def twilio_sms(customer: int, n: int, text: str, base: str) -> Request:
    params = {
        "MessageSid": f"SM{customer:016d}{n:016d}",
        "AccountSid": TWILIO_ACCOUNT,
        "From": f"+49152{customer:08d}",
        "To": "+4930123456",
        "Body": text,
        "NumMedia": "0",
    }
    path = "/channels/twilio/messaging"
    return path, urlencode(params).encode(), signed_headers(base + path, params, TWILIO_TOKEN)


def chat(channel: str, customer: int, n: int, text: str, base: str) -> Request:
    if channel == "telegram":
        return telegram(customer, n, text)
    if channel == "api":
        return api(customer, n, text)
    return twilio_sms(customer, n, text, base)


def email(customer: int, n: int, text: str) -> EmailMessage:
    """The customer's n-th mail of one thread: the first starts it, the rest answer it."""
    msg = EmailMessage()
    msg["From"] = f"mail{customer}@example.com"
    msg["To"] = "support@shop.example"
    msg["Subject"] = "Order question" if n == 0 else "Re: Order question"
    msg["Message-ID"] = f"<conv-{customer}-{n}@mail.example>"
    if n > 0:
        root = f"<conv-{customer}-0@mail.example>"
        msg["In-Reply-To"] = f"<conv-{customer}-{n - 1}@mail.example>"
        msg["References"] = root if n == 1 else f"{root} <conv-{customer}-{n - 1}@mail.example>"
    msg.set_content(text)
    return msg


async def send(
    http: httpx.AsyncClient,
    base_url: str,
    smtp_port: int,
    channel: str,
    customer: int,
    n: int,
    text: str,
    attempts: int = 20,
) -> None:
    """Sends the customer's n-th message on `channel`, retried as channels retry (the same
    message id: a retry is dropped as a duplicate), until accepted."""
    for _attempt in range(attempts):
        try:
            if channel == "email":
                message = email(customer, n, text)
                await aiosmtplib.send(message, hostname="127.0.0.1", port=smtp_port)
                return
            path, body, headers = chat(channel, customer, n, text, base_url)
            r = await http.post(base_url + path, content=body, headers=headers)
            if r.status_code < 300:
                return
        except (httpx.HTTPError, aiosmtplib.SMTPException, OSError):
            pass
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{channel} customer {customer} message {n} never accepted")
