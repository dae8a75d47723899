"""The desk's call controls and a supervisor's: hold and resume, a warm transfer (consult the
colleague, then hand the call over and drop out), listening in and coaching, hanging up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.fake_twilio import FakeTwilio
from tests.support.stack import Stack, running_stack
from tests.support.voice_calls import (
    PHONES,
    accept_next,
    leg,
    nonempty,
    ring_in,
    voice_config,
)
from tests.support.waiting import eventually

CALLS = "/channels/twilio/voice/calls"


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    fake_twilio: FakeTwilio,
) -> AsyncIterator[Stack]:
    async with running_stack(request, tmp_path, nats_server, voice_config(fake_twilio)) as stack:
        yield stack


async def connected_call(stack: Stack, fake: FakeTwilio, n: int) -> tuple[str, str]:
    """(contact id, caller's call sid) of a call alice took and is connected to."""
    await stack.status("alice", "available")
    caller = await ring_in(stack, n)
    contact_id = await accept_next(stack, "alice")

    async def connected() -> bool:
        return fake.voice.in_conference(f"contact-{contact_id}") == {"agent-1", "customer"}

    await eventually(connected)
    return contact_id, caller


async def test_hold_resume_and_hang_up_from_the_desk(stack: Stack, fake_twilio: FakeTwilio) -> None:
    voice = fake_twilio.voice
    contact_id, caller = await connected_call(stack, fake_twilio, 11)
    alice = await stack.signed_in("alice")
    bob = await stack.signed_in("bob")

    async def state() -> str:
        r = await alice.get(f"{CALLS}/{contact_id}")
        assert r.status_code == 200, r.text
        return str(r.json()["state"])

    assert await eventually(state) == "connected"
    view = (await alice.get(f"{CALLS}/{contact_id}")).json()
    assert view["recording"] is True and view["connected_at"]
    assert (await bob.get(f"{CALLS}/{contact_id}")).status_code == 403  # not bob's call
    assert (await bob.post(f"{CALLS}/{contact_id}/hold")).status_code == 403
    r = await alice.post(f"{CALLS}/{contact_id}/hold")
    assert r.status_code == 200 and r.json()["state"] == "on hold"
    assert voice.legs[caller].hold is True
    r = await alice.post(f"{CALLS}/{contact_id}/resume")
    assert r.json()["state"] == "connected" and voice.legs[caller].hold is False
    r = await alice.post(f"{CALLS}/{contact_id}/hangup")
    assert r.json()["state"] == "ended"
    assert voice.conferences[f"contact-{contact_id}"].status == "completed"


async def test_a_warm_transfer_consults_then_hands_the_call_over(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    contact_id, caller = await connected_call(stack, fake_twilio, 12)
    await stack.status("bob", "available")
    alice = await stack.signed_in("alice")
    conference = f"contact-{contact_id}"
    r = await alice.post(f"{CALLS}/{contact_id}/consult", json={"agent_id": "bob"})
    assert r.status_code == 200, r.text

    async def consulting() -> bool:
        return voice.in_conference(conference) == {"agent-1", "customer", "consult-bob"}

    await eventually(consulting)
    assert voice.legs[caller].hold is True  # the customer does not hear the consultation
    r = await alice.post(f"/api/contacts/{contact_id}/transfer", json={"agent_id": "bob"})
    assert r.status_code == 200, r.text
    assert await accept_next(stack, "bob") == contact_id

    async def handed_over() -> bool:
        return voice.in_conference(conference) == {"customer", "consult-bob"}

    await eventually(handed_over)
    await eventually(lambda: nonempty([True] if not voice.legs[caller].hold else []))
    # bob, already on the line, was not dialled again.
    assert [d["Label"] for d in voice.requests("Participants.json")] == ["agent-1", "consult-bob"]
    r = await stack.http.get(f"/api/contacts/{contact_id}")
    assert (r.json()["status"], r.json()["agent_id"]) == ("accepted", "bob")


async def test_a_supervisor_listens_muted_or_coaches_the_agent(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    contact_id, _ = await connected_call(stack, fake_twilio, 13)
    sam = await stack.signed_in("sam")
    alice = await stack.signed_in("alice")
    path = f"{CALLS}/{contact_id}/monitor"
    assert (await alice.post(path, json={"mode": "listen"})).status_code == 403
    r = await sam.post(path, json={"mode": "listen"})
    assert r.status_code == 200, r.text
    [listen] = [d for d in voice.requests("Participants.json") if d["To"] == PHONES["sam"]]
    assert (listen["Muted"], listen["Label"], listen["Beep"]) == ("true", "supervisor-sam", "false")
    assert "Coaching" not in listen
    await eventually(lambda: nonempty([x for x in voice.in_conference(f"contact-{contact_id}")
                                       if x == "supervisor-sam"]))  # fmt: skip

    # Coaching: a second leg (a supervisor would first hang up the listening one).
    voice.conferences[f"contact-{contact_id}"].labels.pop("supervisor-sam")
    r = await sam.post(path, json={"mode": "coach"})
    assert r.status_code == 200, r.text
    coach = [d for d in voice.requests("Participants.json") if d["To"] == PHONES["sam"]][-1]
    agent_leg = await leg(fake_twilio, label="agent-1")
    assert (coach["Coaching"], coach["CallSidToCoach"], coach["Muted"]) == (
        "true",
        agent_leg,
        "false",
    )


async def test_an_agent_putting_the_phone_down_ends_the_call_for_the_caller(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    contact_id, _ = await connected_call(stack, fake_twilio, 14)
    agent_leg = await leg(fake_twilio, label="agent-1")
    await voice.hang_up(agent_leg)

    async def ended() -> bool:
        return voice.conferences[f"contact-{contact_id}"].status == "completed"

    await eventually(ended)  # the caller does not wait alone in the conference
    r = await stack.http.get(f"/api/contacts/{contact_id}")
    assert r.json()["status"] == "accepted"  # alice still completes it, with a disposition


async def test_completing_or_passing_on_a_call_still_ringing_leaves_nobody_waiting(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    voice.ring_seconds = 30  # agents' phones keep ringing
    await stack.status("alice", "available")
    await stack.status("bob", "available")
    caller = await ring_in(stack, 15)
    contact_id = await accept_next(stack, "alice")
    alice_leg = await leg(fake_twilio, label="agent-1")
    # alice passes it to bob before her phone was answered: it stops ringing.
    r = await stack.http.post(f"/api/contacts/{contact_id}/transfer", json={"agent_id": "bob"})
    assert r.status_code == 200, r.text
    await eventually(lambda: nonempty([1] if voice.legs[alice_leg].status == "canceled" else []))
    assert await accept_next(stack, "bob") == contact_id
    await eventually(lambda: nonempty([s for s, g in voice.legs.items() if g.label == "agent-2"]))
    # bob completes it while his phone still rings: the caller is not left in the queue.
    r = await stack.http.post(f"/api/contacts/{contact_id}/complete", json={"disposition": "x"})
    assert r.status_code == 200, r.text
    ended = await eventually(
        lambda: nonempty([f for f in voice.requests(f"Calls/{caller}.json") if f.get("Status")])
    )
    assert ended[0]["Status"] == "canceled"
