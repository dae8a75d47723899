"""Each service on its own NATS user, limited to its own subjects (issue 16, item 2), on a
real nats-server given the permissions `switchboard/nats_permissions.py` generates: the four
services run their real code paths with them (an e-mail reaches routing, history and the
desk's live feed, is answered, escalates) without one permission violation, and what they
must not do is refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
import nats
import pytest
from faststream.nats import NatsBroker
from nats.aio.client import Client

from schemas.config import ChannelsConfig, EmailChannel, SwitchboardConfig
from switchboard.auth import Authenticator
from switchboard.jetstream import EVENTS, INBOUND
from switchboard.nats_connect import declare
from switchboard.nats_permissions import (
    USERS,
    authorization_block,
    inbox_prefix,
    service_access,
)
from switchboard.nats_server import NatsServerProcess
from switchboard.runtime import BUILDERS, Runtime
from switchboard.settings import Settings
from tests.integration.test_desk_events import listening
from tests.support.auth import ADMIN
from tests.support.mailbox import Mailbox
from tests.support.ports import free_port
from tests.support.stack import stack_config
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {user: f"{user}-password-0123456789" for user in USERS}
PARTITIONS = Settings().inbound_partitions
ESCALATION = 3.0


def login(server: NatsServerProcess, user: str) -> str:
    return f"nats://{user}:{PASSWORDS[user]}@127.0.0.1:{server.port}"


@pytest.fixture
async def locked_nats(tmp_path: Path) -> AsyncIterator[NatsServerProcess]:
    """A nats-server with the generated users, its streams declared by the admin."""
    server = NatsServerProcess(
        tmp_path / "nats", free_port(), config_text=authorization_block(PARTITIONS, PASSWORDS)
    )
    server.start()
    try:
        await declare(Settings(), stack_config(), login(server, "admin"))
        yield server
    finally:
        server.stop()


def violations(server: NatsServerProcess) -> list[str]:
    log = (server.store_dir / "nats-server.log").read_text()
    return [line for line in log.splitlines() if "Violation" in line]


async def connect_as(server: NatsServerProcess, user: str, errors: list[str]) -> Client:
    async def error_cb(exc: Exception) -> None:
        errors.append(str(exc))

    return await nats.connect(
        login(server, user),
        inbox_prefix=inbox_prefix(user),
        allow_reconnect=False,
        error_cb=error_cb,
    )


def test_every_consumer_a_service_declares_is_its_own(tmp_path: Path) -> None:
    """The table is read off the code: the durable consumers each service's code really
    binds, built as in its container (the committed configuration: every channel, voice's
    too), are exactly the ones its user may use."""
    settings = Settings(data_dir=tmp_path)
    config = SwitchboardConfig.load(ROOT / "switchboard.toml")
    auth = Authenticator(config, "key")
    access = service_access(settings.inbound_partitions)

    async def build_all() -> dict[str, set[tuple[str, str]]]:
        declared: dict[str, set[tuple[str, str]]] = {}
        for name, build in BUILDERS.items():
            broker = NatsBroker()
            service = build(settings, config, broker, None, auth)  # type: ignore[arg-type]
            declared[name] = {
                (sub.stream.name, sub.config.durable_name)  # type: ignore[attr-defined]
                for sub in broker.subscribers
            }
            if service.close:
                service.close()
        return declared

    for name, consumers in asyncio.run(build_all()).items():
        allowed = {(s, d) for s, durables in access[name].consumers.items() for d in durables}
        assert consumers == allowed, name


async def test_each_service_works_on_its_own_user(
    tmp_path: Path, locked_nats: NatsServerProcess, mailbox: Mailbox
) -> None:
    """An e-mail (its raw copy in the object store) becomes an offer on the desk's live
    feed and a customer in history; the agent's reply goes out by e-mail (the replies'
    bucket) and its outcome reaches the timeline; a second one waits (the agent takes one
    e-mail at a time), escalates, and the notifier e-mails the supervisor."""
    email = EmailChannel(port=free_port(), mailboxes=["support@shop.example"])
    config = stack_config(offer_timeout=60, escalation_timeout=600, max_wait=ESCALATION).model_copy(
        update={"channels": ChannelsConfig(email=email)}
    )
    runtimes: dict[str, Runtime] = {}
    clients: dict[str, httpx.AsyncClient] = {}
    try:
        for name in BUILDERS:
            settings = Settings(
                data_dir=tmp_path / "data",  # one SQLite store per service, as on one host
                http_port=free_port(),
                declare_streams=False,
                inbound_partitions=PARTITIONS,
                smtp_url=mailbox.url,
            )
            runtime = Runtime(settings, config, [name], login(locked_nats, name))
            await runtime.start()
            runtimes[name] = runtime
            clients[name] = httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{settings.http_port}", headers=ADMIN, timeout=15
            )
        desk = httpx.AsyncClient(base_url=str(clients["notifier"].base_url), timeout=15)
        r = await desk.post("/api/session", json={"user": "alice", "password": "alice"})
        assert r.status_code == 200, r.text
        async with listening(desk) as pushes:
            r = await clients["routing"].post(
                "/api/agents/alice/status", json={"status": "available"}
            )
            assert r.status_code == 200, r.text
            await aiosmtplib.send(mail_from_ann(), hostname="127.0.0.1", port=email.port)

            async def offers() -> list[dict[str, Any]]:
                found: list[dict[str, Any]] = (
                    await clients["routing"].get("/api/agents/alice/offers")
                ).json()
                return found

            [offer] = await eventually(offers)

            async def customer() -> list[dict[str, Any]]:
                r = await clients["history"].get(
                    "/api/customers", params={"email": "ann@example.com"}
                )
                found: list[dict[str, Any]] = r.json()
                return found

            [found] = await eventually(customer)
            await eventually(lambda: _pushed(pushes, offer["offer_id"]))
        routing = clients["routing"]
        r = await routing.post(f"/api/offers/{offer['offer_id']}/accept")
        assert r.status_code == 200, r.text
        r = await routing.post(
            f"/api/contacts/{offer['contact_id']}/replies", json={"text": "On its way."}
        )
        assert r.status_code == 202, r.text
        await eventually(lambda: _mailed(mailbox, "ann@example.com"))
        second = mail_from_ann()
        second.replace_header("From", "Bo <bo@example.com>")
        second.replace_header("Message-ID", "<order-8@mail.example>")
        await aiosmtplib.send(second, hostname="127.0.0.1", port=email.port)
        await eventually(lambda: _mailed(mailbox, "sam@example.com"), timeout=ESCALATION + 30)

        async def reply_recorded() -> bool:
            r = await clients["history"].get(f"/api/customers/{found['customer_id']}/timeline")
            return "Reply sent via email" in {e["summary"] for e in r.json()}

        await eventually(reply_recorded)
        await desk.aclose()
        for name, client in clients.items():
            health = (await client.get("/healthz")).json()
            assert health.get("loops", "ok") == "ok", (name, health)
    finally:
        for client in clients.values():
            await client.aclose()
        for runtime in runtimes.values():
            await runtime.stop()
    assert violations(locked_nats) == []


async def _mailed(mailbox: Mailbox, to: str) -> bool:
    return any(m["To"] == to for m in mailbox.messages)


def mail_from_ann() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ann <ann@example.com>"
    msg["To"] = "support@shop.example"
    msg["Subject"] = "Order 7"
    msg["Message-ID"] = "<order-7@mail.example>"
    msg.set_content("Where is order 7?")
    return msg


async def _pushed(pushes: list[tuple[str, Any]], offer_id: str) -> bool:
    return any(offer_id in str(data) for _, data in pushes)


async def test_ingest_cannot_publish_events_or_read_others_messages(
    locked_nats: NatsServerProcess,
) -> None:
    errors: list[str] = []
    admin = await connect_as(locked_nats, "admin", [])
    ingest = await connect_as(locked_nats, "ingest", errors)
    try:
        seen = await admin.subscribe("sb.>")
        await admin.flush()  # subscribed before ingest publishes
        # Past every signature check: an erasure nobody asked for, straight onto EVENTS.
        await ingest.publish("sb.events.history.CustomerErased", b'{"customer_id": "x"}')
        await ingest.publish("sb.timers.fired.offer.x", b"{}")
        await ingest.publish("sb.inbound.web.test", b"allowed")  # after the others, in order
        await ingest.flush()
        first = await seen.next_msg(timeout=5)
        assert first.subject == "sb.inbound.web.test"
        assert (await admin.jetstream().stream_info(EVENTS)).state.messages == 0
        await eventually(lambda: _async(len(errors) >= 2))
        assert all("permissions violation" in e.lower() for e in errors), errors
        # Others' replies (the messages their consumers pull) are not ingest's to read.
        errors.clear()
        await ingest.subscribe("_INBOX.>")
        await ingest.flush()
        await eventually(lambda: _async(any("subscription" in e for e in errors)))
        errors.clear()
        # Nor may it make itself a consumer on INBOUND, or change a stream.
        js = ingest.jetstream(timeout=1)
        with pytest.raises(nats.errors.TimeoutError):
            await js.add_consumer(INBOUND, durable_name="spy")
        with pytest.raises(nats.errors.TimeoutError):
            await js.purge_stream(INBOUND)
    finally:
        await ingest.close()
        await admin.close()
    assert any("Violation" in line and "ingest" in line for line in violations(locked_nats))


async def test_routing_may_not_publish_as_history_or_as_ingest(
    locked_nats: NatsServerProcess,
) -> None:
    errors: list[str] = []
    routing = await connect_as(locked_nats, "routing", errors)
    try:
        for subject in (
            "sb.events.history.CustomerErased",
            "sb.inbound.web.x",
            "sb.timers.notify.x",
        ):
            await routing.publish(subject, b"{}")
        await routing.flush()
        await eventually(lambda: _async(len(errors) == 3))
    finally:
        await routing.close()


async def test_anonymous_and_wrong_passwords_are_refused(locked_nats: NatsServerProcess) -> None:
    for url in (
        f"nats://127.0.0.1:{locked_nats.port}",
        f"nats://ingest:wrong@127.0.0.1:{locked_nats.port}",
    ):
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(url, allow_reconnect=False, connect_timeout=2)


async def _async(value: bool) -> bool:
    return value
