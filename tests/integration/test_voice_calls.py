"""Phone calls that connect: a Twilio-signed call is offered, accepted, and the bridge dials
the agent's phone into the contact's conference and moves the caller in, all through the
twilio client against a local server speaking Twilio's API (which calls back, signed)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from events import contact_id_for
from switchboard.nats_server import NatsServerProcess
from tests.support.fake_twilio import FakeTwilio
from tests.support.stack import Stack, running_stack
from tests.support.twilio_signing import ACCOUNT, call, signed_headers
from tests.support.voice_calls import (
    PHONES,
    accept_next,
    at_rest,
    bridge_idle,
    contact,
    leg,
    nonempty,
    post,
    ring_in,
    timeline_kinds,
    voice_config,
)
from tests.support.waiting import eventually


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    fake_twilio: FakeTwilio,
) -> AsyncIterator[Stack]:
    async with running_stack(request, tmp_path, nats_server, voice_config(fake_twilio)) as stack:
        yield stack


async def test_accepted_call_bridges_the_caller_to_the_agent_and_is_recorded(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    voice.duplicates = 5  # Twilio retries: every status arrives five times
    await stack.status("alice", "available")
    caller = await ring_in(stack)
    contact_id = await accept_next(stack, "alice")
    conference = f"contact-{contact_id}"

    async def both_in() -> bool:
        return voice.in_conference(conference) == {"agent-1", "customer"}

    await eventually(both_in)
    [dial] = voice.requests("Participants.json")
    assert (dial["To"], dial["From"], dial["Label"]) == (PHONES["alice"], "+4930123456", "agent-1")
    assert dial["EndConferenceOnExit"] == "false" and dial["Timeout"] == "5"
    assert dial["ConferenceRecord"] == "record-from-start"
    assert dial["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert f"contact={contact_id}" in dial["StatusCallback"]
    [move] = [f for f in voice.requests(f"Calls/{caller}.json") if "Twiml" in f]
    assert "<Say>This call may be recorded" in move["Twiml"]
    assert 'participantLabel="customer"' in move["Twiml"]
    assert f">{conference}</Conference></Dial>" in move["Twiml"]
    assert (await contact(stack, contact_id))["status"] == "accepted"

    # The caller hangs up: the conference ends and its recording reaches the timeline.
    await voice.end_conference(conference)
    [recorded] = await eventually(lambda: timeline_kinds(stack, "CallRecorded"))
    assert recorded["data"]["duration_seconds"] == 42 and recorded["data"]["channels"] == 2
    link = recorded["data"]["link"]
    assert "twilio.com" not in link and ACCOUNT not in link
    alice = await stack.signed_in("alice")
    await eventually(lambda: bridge_idle(stack))
    audio = await alice.get(link)
    assert audio.status_code == 200, audio.text
    assert audio.content.startswith(b"RIFF") and audio.headers["content-type"] == "audio/wav"
    async with httpx.AsyncClient(base_url=stack.base_url) as anonymous:
        assert (await anonymous.get(link)).status_code == 401

    # Each status of each leg is recorded once, however often Twilio sent it.
    await eventually(lambda: at_rest(stack))
    changes = [(e["data"]["call_sid"], e["data"]["status"]) for e in
               await timeline_kinds(stack, "CallLegChanged")]  # fmt: skip
    assert len(changes) == len(set(changes))
    assert {s for _, s in changes} >= {"initiated", "ringing", "in-progress", "completed"}


async def test_a_forged_leg_callback_is_refused(stack: Stack) -> None:
    query = f"contact={uuid.uuid4()}&leg=agent&attempt=1"
    url = f"{stack.base_url}/channels/twilio/voice/leg?{query}"
    params = {"CallSid": "CA" + "7" * 32, "AccountSid": ACCOUNT, "CallStatus": "in-progress"}
    headers = signed_headers(url, {**params, "CallStatus": "no-answer"})
    r = await stack.http.post(url, content=urlencode(params), headers=headers)
    assert r.status_code == 403


async def test_an_agent_who_does_not_answer_passes_the_call_to_the_next(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    voice.behaviour[PHONES["alice"]] = "no-answer"
    await stack.status("alice", "available")
    await stack.status("bob", "available")
    caller = await ring_in(stack, 2)
    contact_id = await accept_next(stack, "alice")

    # Alice's phone does not answer: she is marked not responding, bob gets the call.
    contact_id_bob = await accept_next(stack, "bob")
    assert contact_id_bob == contact_id
    agents = {a["agent_id"]: a for a in (await stack.http.get("/api/agents")).json()}
    assert agents["alice"]["status"] == "not_responding"
    conference = f"contact-{contact_id}"

    async def both_in() -> bool:
        return voice.in_conference(conference) == {"agent-2", "customer"}

    await eventually(both_in)
    assert [d["To"] for d in voice.requests("Participants.json")] == [
        PHONES["alice"],
        PHONES["bob"],
    ]
    assert len([f for f in voice.requests(f"Calls/{caller}.json") if "Twiml" in f]) == 1
    [failed] = await eventually(lambda: timeline_kinds(stack, "CallBridgeFailed"))
    assert failed["data"]["agent_id"] == "alice" and "no-answer" in failed["data"]["reason"]


async def test_caller_hanging_up_while_the_agent_rings_abandons_and_frees_the_agent(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    voice.ring_seconds = 30  # alice's phone keeps ringing
    await stack.status("alice", "available")
    caller = await ring_in(stack, 3)
    contact_id = await accept_next(stack, "alice")
    agent_leg = await leg(fake_twilio, to=PHONES["alice"])

    voice.hung_up.add(caller)
    ended = {**call(3), "CallStatus": "completed", "CallDuration": "9"}
    assert (await post(stack, "/voice/status", ended)).status_code == 200

    async def abandoned() -> bool:
        return bool((await contact(stack, contact_id))["status"] == "abandoned")

    await eventually(abandoned)
    r = await stack.http.get("/api/agents/alice/contacts")
    assert r.json() == []
    cancel = await eventually(
        lambda: nonempty([f for f in voice.requests(f"Calls/{agent_leg}.json") if f.get("Status")])
    )
    assert cancel[0]["Status"] == "canceled"
    assert voice.legs[agent_leg].status == "canceled"
    # alice takes the next call at once.
    await ring_in(stack, 4)
    await accept_next(stack, "alice")


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
    agent_one = await leg(fake_twilio, label="agent-1")
    assert voice.legs[agent_one].status == "completed"  # alice's first leg was ended


async def test_a_web_form_asks_for_a_callback_at_a_time(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    await stack.status("alice", "available")
    due = datetime.now(UTC) + timedelta(seconds=3)
    r = await stack.post_form(
        name="Ana", phone="+49 151 23456789", message="Please call me", callback_at=due.isoformat()
    )
    assert r.status_code == 202, r.text
    contact_id = str(contact_id_for(uuid.UUID(r.json()["interaction_id"])))

    async def waiting_for_its_time() -> bool:
        r = await stack.http.get(f"/api/contacts/{contact_id}")
        return r.status_code == 200 and r.json()["status"] == "callback_wait"

    await eventually(waiting_for_its_time)
    assert await stack.offers("alice") == []  # not before its time
    assert await accept_next(stack, "alice") == contact_id
    assert datetime.now(UTC) >= due

    async def both_in() -> bool:
        return voice.in_conference(f"contact-{contact_id}") == {"agent-1", "customer"}

    await eventually(both_in)
    [customer] = [d for d in voice.requests("Participants.json") if d["Label"] == "customer"]
    assert (customer["To"], customer["From"]) == ("+4915123456789", "+4930123456")


async def test_a_callback_time_needs_a_phone(stack: Stack) -> None:
    r = await stack.post_form(
        email="ana@example.com", message="call me", callback_at="2030-01-01T10:00:00+01:00"
    )
    assert r.status_code == 400 and "phone" in r.text


async def test_a_callback_twilio_refuses_to_dial_counts_as_a_failed_attempt(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.voice.refuse.add("+4915123456780")
    await stack.status("alice", "available")
    r = await stack.post_form(
        phone="+49 151 23456780", message="call me", callback_at=datetime.now(UTC).isoformat()
    )
    assert r.status_code == 202, r.text
    contact_id = await accept_next(stack, "alice")

    async def failed_attempt() -> list[dict[str, Any]]:
        customer = await stack.customer_by(phone="+4915123456780")
        entries = await stack.timeline(customer["customer_id"]) if customer else []
        return [e for e in entries if e["kind"] == "CallbackAttemptFailed"]

    [failed] = await eventually(failed_attempt)
    assert "Twilio 400 13223" in failed["data"]["reason"]
    assert failed["data"]["retry_at"] is not None  # tried again in callback_retry_seconds
    # alice was freed, and is offered the next attempt a second later.
    assert await accept_next(stack, "alice") == contact_id


async def test_a_slow_twilio_holds_up_neither_routing_nor_other_calls(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    voice.delay = 4.0  # every participant request takes Twilio 4 s
    await stack.status("alice", "available")
    await stack.status("bob", "available")
    await ring_in(stack, 31)
    first = await accept_next(stack, "alice")
    await eventually(lambda: nonempty(voice.requests("Participants.json")))
    started = asyncio.get_running_loop().time()
    # Meanwhile a second call is routed, accepted and its dial requested at once.
    await ring_in(stack, 32)
    second = await accept_next(stack, "bob")

    async def bob_dialled() -> list[dict[str, Any]]:
        return [d for d in voice.requests("Participants.json") if d["To"] == PHONES["bob"]]

    await eventually(bob_dialled)
    assert asyncio.get_running_loop().time() - started < 3.5  # alice's still under way
    assert first != second

    async def both_bridged() -> bool:
        return all(voice.in_conference(f"contact-{c}") for c in (first, second))

    await eventually(both_bridged)
