"""Driving phone calls through a running stack and a local Twilio (tests/support/
fake_twilio_voice.py): the configuration, signed webhooks, and what to wait for."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import nats

from schemas.config import ChannelsConfig, EmailChannel, QueueConfig, TwilioConfig
from tests.support.fake_twilio import FakeTwilio
from tests.support.stack import Stack, stack_config
from tests.support.twilio_signing import ACCOUNT, AUTH_TOKEN, call, signed_headers
from tests.support.waiting import eventually

PHONES = {"alice": "+4915100000001", "bob": "+4915100000002", "sam": "+4915100000003"}


def voice_config(fake: FakeTwilio, ring_seconds: int = 5) -> Any:
    twilio = TwilioConfig(
        account_sid=ACCOUNT,
        auth_token=AUTH_TOKEN,
        api_base_url=fake.url,
        agent_ring_seconds=ring_seconds,
        bridge_grace_seconds=2,
        callback_retry_seconds=1,
        from_number="+4930123456",
    )
    base = stack_config(offer_timeout=10)
    people = [p.model_copy(update={"phone": PHONES.get(p.id)}) for p in base.people]
    routing = base.routing.model_copy(
        update={"queues": [QueueConfig(name="default", record="from-answer")]}
    )
    channels = ChannelsConfig(twilio=twilio, email=EmailChannel(enabled=False))
    return base.model_copy(update={"channels": channels, "people": people, "routing": routing})


async def post(stack: Stack, path: str, params: dict[str, str]) -> httpx.Response:
    url = f"{stack.base_url}/channels/twilio{path}"
    return await stack.http.post(
        url, content=urlencode(params), headers=signed_headers(url, params)
    )


async def ring_in(stack: Stack, n: int = 1) -> str:
    answer = await post(stack, "/voice", call(n))
    assert answer.status_code == 200, answer.text
    return f"CA{n:032d}"


async def accept_next(stack: Stack, agent_id: str) -> str:
    [offer] = await eventually(lambda: stack.offers(agent_id))
    r = await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")
    assert r.status_code == 200, r.text
    return str(offer["contact_id"])


async def contact(stack: Stack, contact_id: str) -> dict[str, Any]:
    r = await stack.http.get(f"/api/contacts/{contact_id}")
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


async def bridge_idle(stack: Stack) -> bool:
    nc = await nats.connect(stack.nats_server.url)
    try:
        info = await nc.jetstream().consumer_info("EVENTS", "voice-bridge")
        return not info.num_pending and not info.num_ack_pending
    finally:
        await nc.close()


async def at_rest(stack: Stack) -> bool:
    return await stack.settled() and await bridge_idle(stack)


async def timeline_kinds(stack: Stack, kind: str) -> list[dict[str, Any]]:
    customer = await stack.customer_by(phone="+4915112345678")
    assert customer is not None
    entries = await stack.timeline(customer["customer_id"])
    return [e for e in entries if e["kind"] == kind]


async def nonempty(items: list[Any]) -> list[Any]:
    return items


async def leg(fake: FakeTwilio, *, to: str | None = None, label: str | None = None) -> str:
    """The call sid of the first leg dialled to `to` (or labelled `label`), once it exists:
    the fake logs a participant request before it creates the leg, so the request alone
    does not mean the leg is there yet."""

    async def found() -> str | None:
        return next(
            (
                sid
                for sid, each in fake.voice.legs.items()
                if (to is None or each.to == to) and (label is None or each.label == label)
            ),
            None,
        )

    return await eventually(found)
