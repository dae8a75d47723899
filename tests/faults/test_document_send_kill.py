"""SIGKILL between approval and sending: the approved document reaches the customer once.

Each service runs as its own process. sam approves alice's document and she sends it; at
once routing (which turns the send into a reply), ingest (which sends it) and history (where
documents live) are SIGKILLed and restarted. Afterwards the customer got exactly one e-mail
with the PDF, and asking to send again changes nothing."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from pathlib import Path

import httpx

from switchboard.nats_server import NatsServerProcess
from tests.support.auth import ADMIN, password_hash
from tests.support.channels import system_toml
from tests.support.mailbox import Mailbox
from tests.support.service_processes import ServiceProcesses
from tests.support.waiting import eventually

DOCUMENTS = """
[documents]
remind_after_seconds = 3600
climb_after_seconds = 7200

[[documents.templates]]
name = "offer"
title = "Offer {{ contact.reference }}"
body = "We offer it for {{ document.amount }} EUR."

[[documents.approval_rules]]
template = "offer"
min_amount = 100
"""


def config(smtp_port: int) -> str:
    text = system_toml(smtp_port)
    for person in ("alice", "sam"):
        name = f'name = "{person.title()}"\n'
        text = text.replace(name, f'{name}password_hash = "{password_hash(person)}"\n', 1)
    return text + DOCUMENTS


async def test_sigkill_between_approval_and_sending_sends_once(
    tmp_path: Path,
    nats_server: NatsServerProcess,
    postgres_url: str,
    mailbox: Mailbox,
    inbound_smtp_port: int,
) -> None:
    services = ServiceProcesses(
        tmp_path, config(inbound_smtp_port), nats_server.url, postgres_url, mailbox.url
    )
    try:
        await services.start()
        await run_scenario(services, mailbox)
    finally:
        services.stop()


async def signed_in(base: str, person: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=10.0)
    r = await client.post("/api/session", json={"user": person, "password": person})
    assert r.status_code == 200, r.text
    return client


async def run_scenario(services: ServiceProcesses, mailbox: Mailbox) -> None:
    history = services.url("history")
    routing = httpx.AsyncClient(base_url=services.url("routing"), headers=ADMIN, timeout=10.0)
    await routing.post("/api/agents/alice/status", json={"status": "available"})
    async with httpx.AsyncClient(base_url=services.url("ingest"), timeout=10.0) as ingest:
        form = {"name": "Ana Lima", "email": "ana@example.com", "message": "An offer please"}
        assert (await ingest.post("/channels/webform/contact-us", json=form)).status_code == 202

    async def offered() -> str | None:
        offers = (await routing.get("/api/agents/alice/offers")).json()
        return str(offers[0]["contact_id"]) if offers else None

    contact = await eventually(offered, timeout=30)
    alice, sam = await signed_in(history, "alice"), await signed_in(history, "sam")
    body = {"template": "offer", "amount": 900}
    r = await alice.post(f"/api/contacts/{contact}/documents", json=body)
    assert r.status_code == 201, r.text
    d = f"/api/documents/{r.json()['document_id']}"
    assert (await alice.post(f"{d}/submit")).json()["approval"]["approvers"] == ["sam"]
    assert (await sam.post(f"{d}/approve", json={})).json()["approval"]["state"] == "approved"
    assert (await alice.post(f"{d}/send")).status_code == 200

    for name in ("routing", "ingest", "history"):
        services.kill(name)
    await asyncio.sleep(0.5)
    await services.start("routing", "ingest", "history")
    alice = await signed_in(history, "alice")
    assert (await alice.post(f"{d}/send")).status_code == 200  # again: changes nothing
    assert not (left := await services.settle()), f"{left}\n{services.logs()}"

    async def delivered() -> list[EmailMessage] | None:
        found = [m for m in mailbox.messages if m["To"] == "ana@example.com"]
        return found or None

    [mail] = await eventually(delivered, timeout=30)
    await asyncio.sleep(2)  # any second copy would be on its way by now
    to_ana = [m for m in mailbox.messages if m["To"] == "ana@example.com"]
    assert len(to_ana) == 1, "sent once"
    [pdf] = [p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_content().startswith(b"%PDF")
    await routing.aclose()
