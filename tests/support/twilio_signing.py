"""Signing requests the way Twilio does (the twilio library computes the same signature)."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from services.ingest.adapter import InboundRequest

AUTH_TOKEN = "twilio-test-auth-token"
ACCOUNT = "AC" + "1" * 32
FORM = "application/x-www-form-urlencoded"


def signed_headers(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    signature = RequestValidator(token).compute_signature(url, params)
    return {"content-type": FORM, "x-twilio-signature": signature}


def twilio_request(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> InboundRequest:
    return InboundRequest(
        url=url, body=urlencode(params).encode(), headers=signed_headers(url, params, token)
    )


def call(n: int, **extra: str) -> dict[str, str]:
    return {
        "CallSid": f"CA{n:032d}",
        "AccountSid": ACCOUNT,
        "From": "+4915112345678",
        "To": "+4930123456",
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        "FromCity": "BERLIN",
        "FromCountry": "DE",
        **extra,
    }


def message(n: int, sender: str = "+4915112345678", **extra: str) -> dict[str, str]:
    return {
        "MessageSid": f"SM{n:032d}",
        "SmsSid": f"SM{n:032d}",
        "AccountSid": ACCOUNT,
        "From": sender,
        "To": "+4930123456",
        "Body": f"message {n}",
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
        **extra,
    }
