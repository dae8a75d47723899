"""A mail server that never answers and a Twilio that is slow and failing never hold up
routing: in `switchboard up` (every service in one process, one event loop) contacts keep
being offered, lapsing and escalating while every e-mail and SMS reply is stuck; once the
endpoints recover, each e-mail and each reply goes out exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from switchboard.settings import Settings
from tests.faults.scenario import Scenario, fault_config, finished
from tests.support.auth import ADMIN
from tests.support.fake_twilio import FakeTwilio
from tests.support.ledger import FateReader
from tests.support.mailbox import Mailbox
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess
from tests.support.traffic import Sent, Traffic
from tests.support.waiting import eventually

TWILIO_DELAY = 20.0  # each answer; the first two are 500s, so no SMS goes out for a minute


class Tarpit:
    """A mail server that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.port = free_port()
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", self.port)

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        await reader.read()

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.delay = TWILIO_DELAY
    fake.failures = 2
    await fake.start()
    yield fake
    await fake.stop()


async def test_hanging_mail_server_and_slow_twilio_never_hold_up_routing(
    tmp_path: Path, twilio: FakeTwilio
) -> None:
    tarpit = Tarpit()
    await tarpit.start()
    smtp_in = free_port()
    system = SwitchboardProcess(tmp_path / "sb", fault_config(smtp_in, twilio.url), tarpit.url)
    await asyncio.to_thread(system.start, 60.0)
    settings = Settings(data_dir=tmp_path / "sb" / "data")
    mix = {"webform": 1, "twilio-sms": 2, "email": 1}
    traffic = Traffic(system.base_url, smtp_in, mix=mix, phase="endpoints-hanging")
    scenario = Scenario(traffic, system.base_url)
    mailbox: Mailbox | None = None
    try:
        async with scenario.running():
            await asyncio.sleep(4.0)
            replies = await _reply_to_sms(system.base_url, traffic, settings)
            await asyncio.sleep(4.0)
            traffic.phase = "steady"
            hanging = [s for s in traffic.accepted() if s.phase == "endpoints-hanging"]

            reader = FateReader(settings)

            async def all_routed() -> bool:
                fates = await asyncio.to_thread(reader.read)
                return all(finished(fates.get(s.token)) for s in hanging)

            await eventually(all_routed, timeout=40, interval=0.5)
            # Routing finished every contact (offered, lapsed, escalated) while the notifier
            # could not deliver one e-mail and Twilio had not taken one reply.
            assert tarpit.connections > 0 and twilio.requests > 0
            assert twilio.messages == []

            await tarpit.stop()
            mailbox = Mailbox(port=tarpit.port)
            mailbox.start()
            twilio.delay = 0.0
            outcome = await scenario.outcome(settings, mailbox, timeout=120)
        outcome.assert_nothing_lost_or_doubled()
        sent_bodies = await eventually(lambda: _bodies(twilio, replies), timeout=60, interval=0.5)
        assert sorted(sent_bodies) == sorted(replies), sent_bodies
    finally:
        if mailbox is not None:
            mailbox.stop()
        system.terminate()


async def _reply_to_sms(base_url: str, traffic: Traffic, settings: Settings) -> list[str]:
    """Agents answer up to three SMS contacts they took; returns the replies' texts."""

    reader = FateReader(settings)

    async def taken() -> list[tuple[Sent, str]]:
        fates = await asyncio.to_thread(reader.read)
        found = []
        for s in traffic.accepted():
            fate = fates.get(s.token)
            if s.channel == "twilio-sms" and fate and fate.kinds()["OfferAccepted"]:
                found.append((s, str(fate.contact_id)))
        return found if len(found) >= 2 else []

    texts = []
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=10) as api:
        for sent, contact_id in (await eventually(taken, timeout=30, interval=0.5))[:3]:
            text = f"reply to {sent.token}"
            r = await api.post(f"/api/contacts/{contact_id}/replies", json={"text": text})
            assert r.status_code == 202, r.text
            texts.append(text)
    return texts


async def _bodies(twilio: FakeTwilio, expected: list[str]) -> list[str]:
    bodies = [m["Body"] for m in twilio.messages]
    return bodies if len(bodies) >= len(expected) else []
