"""Calls, SMS and WhatsApp through the running system, signed as Twilio signs, and replies
back through the twilio client to a server speaking Twilio's API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import nats
import pytest

from schemas.config import ChannelsConfig, EmailChannel, TwilioConfig
from switchboard.jetstream import INBOUND
from switchboard.nats_server import NatsServerProcess
from tests.support.fake_twilio import FakeTwilio
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.twilio_signing import ACCOUNT, AUTH_TOKEN, call, message, signed_headers
from tests.support.waiting import eventually


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio(ACCOUNT)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    fake_twilio: FakeTwilio,
) -> AsyncIterator[Stack]:
    twilio = TwilioConfig(account_sid=ACCOUNT, auth_token=AUTH_TOKEN, api_base_url=fake_twilio.url)
    channels = ChannelsConfig(twilio=twilio, email=EmailChannel(enabled=False))
    config = stack_config().model_copy(update={"channels": channels})
    async with running_stack(request, tmp_path, nats_server, config) as stack:
        yield stack


async def post(stack: Stack, path: str, params: dict[str, str]) -> httpx.Response:
    url = f"{stack.base_url}/channels/twilio{path}"
    return await stack.http.post(
        url, content=urlencode(params), headers=signed_headers(url, params)
    )


async def inbound_count(stack: Stack) -> int:
    nc = await nats.connect(stack.nats_server.url)
    try:
        return int((await nc.jetstream().stream_info(INBOUND)).state.messages)
    finally:
        await nc.close()


async def test_a_call_retried_five_times_is_one_interaction(stack: Stack) -> None:
    answers = await asyncio.gather(*(post(stack, "/voice", call(1)) for _ in range(5)))
    assert {a.status_code for a in answers} == {200}
    assert '<Enqueue waitUrl="/channels/twilio/voice/wait">support</Enqueue>' in answers[0].text
    assert answers[0].headers["content-type"].startswith("application/xml")
    customers = await eventually(
        lambda: _json(stack.http.get("/api/customers", params={"phone": "+4915112345678"}))
    )
    assert len(customers) == 1
    await eventually(stack.settled)
    kinds = [e["kind"] for e in await stack.timeline(customers[0]["customer_id"])]
    assert kinds.count("InteractionReceived") == 1
    assert await inbound_count(stack) == 1


async def test_bad_signature_and_bad_fields_are_refused(stack: Stack) -> None:
    url = f"{stack.base_url}/channels/twilio/voice"
    headers = signed_headers(url, call(2))
    forged = await stack.http.post(url, content=urlencode(call(3)), headers=headers)
    assert forged.status_code == 403 and "Signature" in forged.json()["error"]
    bad = await post(stack, "/messaging", message(4, NumMedia="many"))
    assert bad.status_code == 400
    assert bad.json()["details"][0]["field"] == "NumMedia"
    assert await inbound_count(stack) == 0


async def test_sms_and_whatsapp_from_one_number_are_one_customer_and_replies_go_back(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    await stack.status("alice", "available")
    assert (await post(stack, "/messaging", message(5))).status_code == 200
    [offer] = await eventually(lambda: stack.offers("alice"))
    assert (await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200
    whatsapp = message(6, sender="whatsapp:+4915112345678", ProfileName="Ana")
    assert (await post(stack, "/messaging", whatsapp)).status_code == 200

    r = await stack.http.post(
        f"/api/contacts/{offer['contact_id']}/replies", json={"text": "Got it, Ana."}
    )
    assert r.status_code == 202
    await eventually(lambda: _truthy(fake_twilio.messages))
    [sent] = fake_twilio.messages
    assert (sent["To"], sent["From"], sent["Body"]) == (
        "+4915112345678",
        "+4930123456",
        "Got it, Ana.",
    )

    # Twilio reports the delivery to the callback URL our sender gave it.
    callback = sent["StatusCallback"]
    report = {
        "MessageSid": "SM" + "9" * 32,
        "MessageStatus": "delivered",
        "AccountSid": ACCOUNT,
        "To": "+4915112345678",
        "From": "+4930123456",
    }
    answer = await stack.http.post(
        callback, content=urlencode(report), headers=signed_headers(callback, report)
    )
    assert answer.status_code == 200, answer.text

    [customer] = await _json(stack.http.get("/api/customers", params={"phone": "+4915112345678"}))
    assert "whatsapp:+4915112345678" in customer["identities"]

    async def summaries() -> list[str]:
        # "sent" (from our sender) and "delivered" (from Twilio's report) race each other.
        found = [e["summary"] for e in await stack.timeline(customer["customer_id"])]
        return found if {"Reply delivered via sms", "Reply sent via sms"} <= set(found) else []

    found = await eventually(summaries)
    assert [s for s in found if s.startswith("message ")] == ["message 5", "message 6"]


async def _json(response: Awaitable[httpx.Response]) -> list[dict[str, Any]]:
    r = await response
    assert r.status_code == 200, r.text
    return list(r.json())


async def _truthy(value: object) -> bool:
    return bool(value)
