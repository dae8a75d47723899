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


async def test_a_cold_transfer_keeps_the_caller_on_hold_until_the_next_agent_answers(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    await stack.status("alice", "available")
    caller = await ring_in(stack, 5)
    contact_id = await accept_next(stack, "alice")
    conference = f"contact-{contact_id}"

    async def with_(labels: set[str]) -> bool:
        return voice.in_conference(conference) == labels

    await eventually(lambda: with_({"agent-1", "customer"}))
    await stack.status("bob", "available")
    r = await stack.http.post(
        f"/api/contacts/{contact_id}/transfer", json={"agent_id": "bob", "reason": "billing"}
    )
    assert r.status_code == 200, r.text
    # alice drops out, the caller waits on hold in the conference (not back in the queue).
    await eventually(lambda: with_({"customer"}))
    assert voice.legs[caller].hold is True
    assert await accept_next(stack, "bob") == contact_id
    await eventually(lambda: with_({"agent-2", "customer"}))
    await eventually(lambda: nonempty([True] if not voice.legs[caller].hold else []))
    assert len([f for f in voice.requests(f"Calls/{caller}.json") if "Twiml" in f]) == 1
    assert [d["Label"] for d in voice.requests("Participants.json")] == ["agent-1", "agent-2"]


async def test_twilio_down_retries_then_offers_the_call_to_the_next_agent(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    voice.failures = 3  # every try of the first dial gets a 500
    await stack.status("alice", "available")
    await stack.status("bob", "available")
    await ring_in(stack, 6)
    contact_id = await accept_next(stack, "alice")
    assert await accept_next(stack, "bob") == contact_id
    health = await stack.http.get("/healthz")
    assert "Twilio failing (3 failures)" in health.json()["checks"]["ingest"]
    assert health.status_code == 200  # ingest still takes webhooks: it is not unhealthy
    await eventually(lambda: nonempty(list(voice.in_conference(f"contact-{contact_id}"))))
    [failed] = await eventually(lambda: timeline_kinds(stack, "CallBridgeFailed"))
    assert "Twilio 500" in failed["data"]["reason"]
    assert "Twilio failing" not in (await stack.http.get("/healthz")).json()["checks"]["ingest"]


async def test_a_queued_callback_keeps_its_place_and_is_retried_when_not_answered(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    customer = "+4915112345678"
    voice.behaviour[customer] = ["no-answer", "answer"]
    caller = await ring_in(stack, 7)
    params = call(7)
    hold = await post(stack, "/voice/wait", {**params, "QueuePosition": "1"})
    assert hold.status_code == 200 and "<Gather" in hold.text and 'numDigits="1"' in hold.text
    other = await post(stack, "/voice/wait/digit", {**params, "Digits": "5"})
    assert "<Redirect>/channels/twilio/voice/wait</Redirect>" in other.text
    asked = await post(stack, "/voice/wait/digit", {**params, "Digits": "1"})
    assert "<Hangup />" in asked.text
    hung_up = {**params, "CallStatus": "completed", "CallDuration": "20"}
    assert (await post(stack, "/voice/status", hung_up)).status_code == 200
    await eventually(lambda: timeline_kinds(stack, "CallbackRequested"))
    await eventually(stack.settled)

    await stack.status("alice", "available")
    contact_id = await accept_next(stack, "alice")
    assert (await contact(stack, contact_id))["status"] == "accepted"  # never abandoned
    [failed] = await eventually(lambda: timeline_kinds(stack, "CallbackAttemptFailed"))
    assert failed["data"]["failures"] == 1 and failed["data"]["retry_at"]
    # The next attempt comes a second later, to whoever is free: alice again.
    assert await accept_next(stack, "alice") == contact_id
    conference = f"contact-{contact_id}"

    async def both_in() -> bool:
        return voice.in_conference(conference) == {"agent-2", "customer"}

    await eventually(both_in)
    customer_legs = [d for d in voice.requests("Participants.json") if d["To"] == customer]
    assert len(customer_legs) == 2 and customer_legs[0]["Label"] == "customer"
    assert [f for f in voice.requests(f"Calls/{caller}.json") if "Twiml" in f] == []
    agent_one = next(s for s, leg in voice.legs.items() if leg.label == "agent-1")
    assert voice.legs[agent_one].status == "completed"  # alice's first leg was ended
