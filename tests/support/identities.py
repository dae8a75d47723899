"""Interactions whose channel vouched for the sender (a signed API message, an attested
call): only such identities tie customers together without a supervisor."""

from __future__ import annotations

import json

import httpx

from events import InteractionReceived
from schemas.config import ApiChannel
from schemas.verification import API_SIGNATURE
from services.ingest.api_channel import sign
from tests.support.stack import Stack


def vouched(event: InteractionReceived, how: str = API_SIGNATURE) -> InteractionReceived:
    sender = event.sender
    fields = [f for f in ("email", "phone", "handle") if getattr(sender, f)]
    verified = dict.fromkeys(fields, how)
    return event.model_copy(update={"sender": sender.model_copy(update={"verified": verified})})


SIGNED_CHANNEL = ApiChannel(id="shop", secret="identities-api-secret")


async def post_signed(stack: Stack, message_id: str, text: str, **sender: str) -> httpx.Response:
    """A message through the API channel (SIGNED_CHANNEL), signed as an integrator signs:
    the integrator vouches for every identity it names."""
    body = {"message_id": message_id, "sender": sender, "text": text}
    content = json.dumps(body).encode()
    return await stack.http.post(
        f"/channels/api/{SIGNED_CHANNEL.id}/messages",
        content=content,
        headers={
            "content-type": "application/json",
            "x-switchboard-signature": sign(SIGNED_CHANNEL.secret, content),
        },
    )
