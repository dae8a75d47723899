"""SIGKILL in the middle of conversations: customers keep writing into their threads on
Telegram, the API channel, Twilio SMS and e-mail while routing, then history, is SIGKILLed
and restarted, and agents accept offers as they come. Afterwards every thread is exactly one
contact holding each of its messages once, in order, and history files them under it."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter

import httpx

from tests.support.auth import ADMIN
from tests.support.channels import AGENTS
from tests.support.conversations import CHAT_CHANNELS, send
from tests.support.service_processes import ServiceProcesses
from tests.support.stores import opened_contacts

CHANNELS = (*CHAT_CHANNELS, "email")
CUSTOMERS = 2  # per channel
MESSAGES = 16  # per customer at least: the writing outlasts both kills


async def test_sigkill_mid_conversation_loses_no_message_and_opens_no_second_contact(
    services: ServiceProcesses, inbound_smtp_port: int
) -> None:
    ingest = services.url("ingest")
    routing = httpx.AsyncClient(base_url=services.url("routing"), headers=ADMIN, timeout=5.0)
    rng = random.Random(5)
    writing = asyncio.Event()
    struck: list[float] = []
    struck_both = asyncio.Event()
    finished: list[float] = []
    sent: dict[str, int] = {}  # messages per thread

    async def desk() -> None:
        """Agents accept about half the offers; routing may be down meanwhile."""
        while not writing.is_set():
            with contextlib.suppress(httpx.HTTPError, ValueError):
                for agent in AGENTS:
                    await routing.post(f"/api/agents/{agent}/status", json={"status": "available"})
                    for offer in (await routing.get(f"/api/agents/{agent}/offers")).json():
                        if rng.random() < 0.5:
                            await routing.post(f"/api/offers/{offer['offer_id']}/accept")
            await asyncio.sleep(0.2)

    async def customer(channel: str, n: int) -> None:
        """Writes MESSAGES at least, and on until one was sent after both restarts (a slow
        machine restarts slowly: CI once saw the last kill after a thread had ended)."""
        async with httpx.AsyncClient(timeout=10.0) as http:
            m, after_strikes = 0, False
            while m < MESSAGES or not after_strikes:
                after_strikes = struck_both.is_set()
                text = f"{channel} customer {n} message {m}"
                await send(http, ingest, inbound_smtp_port, channel, n, m, text)
                m += 1
                await asyncio.sleep(rng.uniform(0.5, 0.9))
        sent[f"{channel} customer {n}"] = m
        finished.append(time.monotonic())

    async def strikes() -> None:
        for name in ("routing", "history"):
            await asyncio.sleep(1.2)
            services.kill(name)
            struck.append(time.monotonic())
            await asyncio.sleep(2.0)
            await services.start(name)
        struck_both.set()

    working = asyncio.create_task(desk())
    await asyncio.gather(strikes(), *(customer(c, n) for c in CHANNELS for n in range(CUSTOMERS)))
    writing.set()
    await working
    assert max(struck) < min(finished), "both kills struck mid-conversation"
    assert not (left := await services.settle()), f"{left}\n{services.logs()}"

    opened = opened_contacts(services.settings)
    assert len(opened) == len(CHANNELS) * CUSTOMERS, "one contact per conversation"
    seen: Counter[str] = Counter()
    for contact_id in opened:
        r = await routing.get(f"/api/contacts/{contact_id}/messages")
        assert r.status_code == 200, r.text
        texts = [m["text"] for m in r.json() if m["direction"] == "in"]
        thread = texts[0].rsplit(" message ", 1)[0]
        assert texts == [f"{thread} message {m}" for m in range(sent[thread])], "all, in order"
        seen.update(texts)
    assert len(seen) == sum(sent.values()) and set(seen.values()) == {1}
    await routing.aclose()
