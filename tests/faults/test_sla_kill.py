"""SIGKILL of the SLA service while breaches fall due: every accepted contact nobody answers
breaches exactly once, and its supervisor gets exactly one breach notice and one escalation
e-mail for it, though deadlines fired while the service was dead or half-way through."""

from __future__ import annotations

import asyncio
import tomllib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.config import SwitchboardConfig
from services.sla.application import SlaApplication
from switchboard.nats_server import NatsServerProcess
from switchboard.store import event_store_env
from tests.faults.scenario import fault_config
from tests.support.auth import ADMIN
from tests.support.channels import webform
from tests.support.mailbox import Mailbox
from tests.support.service_processes import ServiceProcesses

CONTACTS = 6
SLA_TOML = """
[[sla.policies]]
name = "everyone"
first_response_minutes = 0.04
warn_at = [0.5]
breach = [{ action = "notify" }, { action = "escalate", after_minutes = 0.03, levels = 1 }]
"""


@pytest.fixture
async def sla_services(
    tmp_path: Path,
    nats_server: NatsServerProcess,
    postgres_url: str,
    mailbox: Mailbox,
    inbound_smtp_port: int,
) -> AsyncIterator[ServiceProcesses]:
    system = ServiceProcesses(
        tmp_path,
        fault_config(inbound_smtp_port) + SLA_TOML,
        nats_server.url,
        postgres_url,
        smtp_url=mailbox.url,
    )
    try:
        await system.start()
        yield system
    finally:
        system.stop()


async def accept_all(routing: httpx.AsyncClient, want: int) -> list[str]:
    accepted: list[str] = []
    while len(accepted) < want:
        for offer in (await routing.get("/api/agents/alice/offers")).json():
            r = await routing.post(f"/api/offers/{offer['offer_id']}/accept")
            if r.status_code == 200:
                accepted.append(str(offer["contact_id"]))
        await asyncio.sleep(0.1)
    return accepted


async def test_sigkill_of_sla_loses_and_doubles_no_breach(
    sla_services: ServiceProcesses, mailbox: Mailbox
) -> None:
    services = sla_services
    routing = httpx.AsyncClient(base_url=services.url("routing"), headers=ADMIN, timeout=5.0)
    ingest = httpx.AsyncClient(base_url=services.url("ingest"), timeout=5.0)
    r = await routing.post("/api/agents/alice/status", json={"status": "available"})
    assert r.status_code == 200, r.text

    async def write() -> None:
        for n in range(CONTACTS):
            path, body, headers = webform(n, f"where is order {n}?")
            assert (await ingest.post(path, content=body, headers=headers)).status_code == 202
            await asyncio.sleep(0.7)

    async def strike() -> None:
        for _ in range(3):  # breaches and rungs fall due while it is dead and restarting
            await asyncio.sleep(1.5)
            services.kill("sla")
            await asyncio.sleep(2.0)
            await services.start("sla")

    accepted, *_ = await asyncio.gather(accept_all(routing, CONTACTS), write(), strike())

    # Sam (alice's supervisor) hears of each breach twice: the notice and rung 1.
    await mailbox.wait_for(2 * CONTACTS, timeout=60)
    assert not (left := await services.settle()), f"{left}\n{services.logs()}"
    subjects = Counter(" ".join(str(m["Subject"]).split()).split(":")[0] for m in mailbox.messages)
    assert subjects == {
        "[Switchboard] SLA breached": CONTACTS,
        "[Switchboard] SLA escalation level 1": CONTACTS,
    }, subjects
    assert {m["To"] for m in mailbox.messages} == {"sam@example.com"}

    # The store agrees: one breach per contact, every step taken once.
    store = SlaApplication(services_config(services), env=event_store_env(services.settings, "sla"))
    try:
        for contact_id in accepted:
            clock = store.get(uuid.UUID(contact_id))
            assert clock is not None and clock.breaches == 1, contact_id
            kinds = Counter(e.kind for e in steps_of(store, clock.id))
            assert kinds == {"warn": 1, "breach": 1, "notify": 1, "escalate": 1}, kinds
    finally:
        store.close()
        await routing.aclose()
        await ingest.aclose()


def services_config(services: ServiceProcesses) -> SwitchboardConfig:
    text = (services.procs["sla"].workdir / "switchboard.toml").read_text()
    return SwitchboardConfig.model_validate(tomllib.loads(text))


def steps_of(store: SlaApplication, clock_id: uuid.UUID) -> list[Any]:
    return [e for e in store.events.get(clock_id) if type(e).__qualname__ == "SlaClock.StepTaken"]
