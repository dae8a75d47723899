"""A SIGKILL of the process running the voice bridge between an agent's acceptance and the
bridge's request to Twilio does not strand the caller: on restart the bridge finds its claim,
asks Twilio whether the agent's leg exists, and completes the bridge without dialling twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.auth import ADMIN, auth_toml
from tests.support.fake_twilio import FakeTwilio
from tests.support.service_processes import ServiceProcesses
from tests.support.twilio_signing import ACCOUNT, AUTH_TOKEN, call, signed_headers
from tests.support.waiting import eventually

ALICE_PHONE = "+4915100000001"


def voice_toml(twilio_api: str) -> str:
    return f"""
[routing]
offer_timeout_seconds = 30
escalation_timeout_seconds = 3600
max_wait_seconds = 3600
heartbeat_timeout_seconds = 3600

[[people]]
id = "alice"
name = "Alice"
phone = "{ALICE_PHONE}"
supervisor = "sam"

[[people]]
id = "sam"
name = "Sam"
role = "supervisor"

[channels.twilio]
account_sid = "{ACCOUNT}"
auth_token = "{AUTH_TOKEN}"
api_base_url = "{twilio_api}"
agent_ring_seconds = 20

[channels.email]
enabled = false
""" + auth_toml()


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio(ACCOUNT)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def system(
    tmp_path: Path, nats_server: NatsServerProcess, postgres_url: str, fake_twilio: FakeTwilio
) -> AsyncIterator[ServiceProcesses]:
    system = ServiceProcesses(tmp_path, voice_toml(fake_twilio.url), nats_server.url, postgres_url)
    try:
        await system.start()
        yield system
    finally:
        system.stop()


async def test_killed_mid_request_the_bridge_completes_once_on_restart(
    system: ServiceProcesses, fake_twilio: FakeTwilio
) -> None:
    voice = fake_twilio.voice
    voice.delay = 1.5  # Twilio takes its time: the bridge dies while it waits
    routing = httpx.AsyncClient(base_url=system.url("routing"), headers=ADMIN, timeout=10.0)
    try:
        r = await routing.post("/api/agents/alice/status", json={"status": "available"})
        assert r.status_code == 200, r.text
        url = f"{system.url('ingest')}/channels/twilio/voice"
        params = call(1)
        answer = await routing.post(
            url, content=urlencode(params), headers=signed_headers(url, params)
        )
        assert answer.status_code == 200, answer.text

        async def offers() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = (await routing.get("/api/agents/alice/offers")).json()
            return found

        [offer] = await eventually(offers)
        r = await routing.post(f"/api/offers/{offer['offer_id']}/accept")
        assert r.status_code == 200, r.text

        async def dialling() -> bool:
            return bool(voice.requests("Participants.json"))

        await eventually(dialling)
        system.kill("ingest")  # SIGKILL while Twilio still works on the request
        await system.start("ingest")

        conference = f"contact-{offer['contact_id']}"

        async def bridged() -> bool:
            return voice.in_conference(conference) == {"agent-1", "customer"}

        await eventually(bridged, timeout=40)
        # Dialled once: the restarted bridge found its claim mid-request and asked Twilio
        # (or Twilio's report of the answer, retried, reached it first), never dialled again.
        assert [f["To"] for f in voice.requests("Participants.json")] == [ALICE_PHONE]
        moves = [f for f in voice.requests(f"Calls/{params['CallSid']}.json") if "Twiml" in f]
        assert len(moves) == 1
        r = await routing.get(f"/api/contacts/{offer['contact_id']}")
        assert r.json()["status"] == "accepted"
    finally:
        await routing.aclose()
