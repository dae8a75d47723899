"""Complete erasure (issue 16, item 8): after `DELETE /api/customers/{id}`, nothing of the
person is readable in any stream (INBOUND, EVENTS, DEADLETTERS and the streams behind the
KV buckets and the raw-mail object store), in any table of the event stores, the read model
and the notifier's store, or in a log line we wrote; someone else's data stays. On a real
nats-server and PostgreSQL, with mail over SMTP and an escalation the notifier records."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import nats
import psycopg
import pytest
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import DeliverPolicy

from schemas.config import EmailChannel
from switchboard.jetstream import VOICE_BUCKET, nats_servers
from switchboard.nats_server import NatsServerProcess
from tests.support.ports import free_port
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually

GONE = {
    "name": "Gunhild Erasmus",
    "email": "gunhild@example.com",
    "phone": "+4915199887766",
    "message": "parcel 4711-XY never came",
}
MAILED = "Gunhild writes: my door code is 8812"
NEEDLES = [*GONE.values(), MAILED]
KEPT = "kai@example.com"


@pytest.fixture(params=["postgres"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    config = stack_config(offer_timeout=1.0, escalation_timeout=600)
    email = EmailChannel(port=free_port(), mailboxes=["support@shop.example"])
    channels = config.channels.model_copy(update={"email": email})
    async with running_stack(
        request, tmp_path, nats_server, config.model_copy(update={"channels": channels})
    ) as stack:
        yield stack


def found_in(raw: bytes) -> set[str]:
    return {n for n in NEEDLES if n.encode() in raw}


async def scan_streams(stack: Stack) -> dict[str, set[str]]:
    """Every stream on the server (KV buckets and object stores are streams too), every
    message's body and headers: which of the person's data each holds."""
    found: dict[str, set[str]] = {}
    nc = await nats.connect(nats_servers(stack.nats_server.url))
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            name, last = info.config.name, info.state.last_seq
            if not info.state.messages or not name:
                continue
            sub = await js.subscribe(
                ">", stream=name, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
            )
            try:
                while True:
                    try:
                        msg = await sub.next_msg(timeout=2)
                    except NatsTimeout:
                        break
                    hits = found_in(msg.data + str(msg.headers or {}).encode())
                    if hits:
                        found.setdefault(name, set()).update(hits)
                    if msg.metadata.sequence.stream >= last:
                        break
            finally:
                await sub.unsubscribe()
    finally:
        await nc.close()
    return found


def scan_tables(stack: Stack) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    assert stack.settings.database_url
    with psycopg.connect(stack.settings.database_url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
        for (table,) in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():
                for value in row:
                    raw = value if isinstance(value, bytes | memoryview) else str(value).encode()
                    hits = found_in(bytes(raw))
                    if hits:
                        found.setdefault(table, set()).update(hits)
    return found


async def keep_call_state(stack: Stack, contact_id: str) -> None:
    """What the voice bridge keeps while it calls a customer back: their number."""
    nc = await nats.connect(nats_servers(stack.nats_server.url))
    try:
        kv = await nc.jetstream().key_value(VOICE_BUCKET)
        await kv.put(contact_id, json.dumps({"customer_leg": GONE["phone"]}).encode())
    finally:
        await nc.close()


async def send_mail(stack: Stack, sender: str, text: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@shop.example", "Door"
    msg["Message-ID"] = f"<{abs(hash(text))}@mail.example>"
    msg.set_content(text)
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=stack.config.channels.email.port)


async def test_nothing_of_an_erased_person_is_readable_anywhere(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # alice lets the offer lapse: the escalation quotes the message, the notifier keeps it.
    await stack.status("alice", "available")
    assert (await stack.post_form(**GONE)).status_code == 202
    await send_mail(stack, f"Gunhild Erasmus <{GONE['email']}>", MAILED)
    kept_form = await stack.post_form(name="Kai Kept", email=KEPT, message="kai's own words")
    assert kept_form.status_code == 202
    gone = await eventually(lambda: stack.customer(GONE["email"]))
    kept = await eventually(lambda: stack.customer(KEPT))

    async def notified() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = (await stack.http.get("/api/notifications")).json()
        return found or None

    await eventually(notified, timeout=30)
    await eventually(stack.settled)
    contacts = {e["contact_id"] for e in await stack.timeline(gone["customer_id"])}
    await keep_call_state(stack, sorted(c for c in contacts if c)[0])
    before = await scan_streams(stack)
    # The scan sees what it is looking for: the streams carry the person in the clear.
    assert set(before["INBOUND"]) >= {GONE["email"], GONE["phone"], MAILED}
    assert MAILED in before["OBJ_sb_raw_email"]
    assert before[f"KV_{VOICE_BUCKET}"] == {GONE["phone"]}
    assert GONE["message"] in before["EVENTS"]
    assert scan_tables(stack)  # the read model shows them before erasure
    about_them = [n for n in await notified() or [] if n["contact_id"] in contacts]
    assert about_them  # the escalation of their form, its text sealed in the notifier's store

    erased = await stack.http.delete(f"/api/customers/{gone['customer_id']}")
    assert erased.status_code == 204, erased.text
    await eventually(stack.settled)

    async def streams_clean() -> bool:
        return await scan_streams(stack) == {}

    await eventually(streams_clean, timeout=30)
    assert scan_tables(stack) == {}
    notifications = (await stack.http.get("/api/notifications")).json()
    assert not found_in(str(notifications).encode())
    assert not [n for n in notifications if n["contact_id"] in contacts]
    ours = [r for r in caplog.records if r.name.startswith(("services", "switchboard"))]
    assert not found_in("\n".join(r.getMessage() for r in ours).encode())

    # Someone else is untouched.
    still = await stack.customer(KEPT)
    assert still is not None
    assert (still["name"], still["identities"]) == (kept["name"], kept["identities"])
    assert "kai's own words" in str(await stack.timeline(kept["customer_id"]))
