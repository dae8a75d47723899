"""All four services in this process (the same Runtime `switchboard up` uses), driven over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import ConsumerInfo, SequenceInfo
from nats.js.errors import KeyNotFoundError

from schemas.config import (
    ChannelsConfig,
    EmailChannel,
    FormConfig,
    IngestConfig,
    Person,
    RoutingConfig,
    SwitchboardConfig,
)
from switchboard.inbound_consumers import inbound_consumer_names
from switchboard.jetstream import RELAY_BUCKET, nats_servers
from switchboard.nats_server import NatsServerProcess
from switchboard.runtime import Runtime
from switchboard.settings import Settings
from tests.support.auth import ADMIN, password_hash, test_auth
from tests.support.ports import free_port

ONE_AT_A_TIME = {"messaging": 1, "email": 1}

# A `stack` runs on SQLite unless the test is about what the store does (exactly-once,
# tracking, batching, erasure, rebuilt read models): those run on both stores.
BOTH_STORES = pytest.mark.parametrize("stack", ["sqlite", "postgres"], indirect=True)

# The durable consumers of a running system (INBOUND's per partition, as the services'
# settings give the partition count: the default unless SWITCHBOARD_INBOUND_PARTITIONS is set).
PARTITIONS = Settings().inbound_partitions
CONSUMERS = {
    "INBOUND": [
        *inbound_consumer_names("routing", PARTITIONS),
        *inbound_consumer_names("history", PARTITIONS),
    ],
    "EVENTS": [
        "routing-identities",
        "routing-erasures",
        "history-routing",
        "history-erasures",
        "notifier-escalations",
        "notifier-flags",
        "notifier-owners",
        "notifier-erasures",
        "ingest-replies",
        "sla-contacts",
        "routing-sla-actions",
        "routing-sla-acks",
        "routing-status-updates",
        "notifier-sla",
        "routing-bridge-scheduler",
        "routing-callback-scheduler",
        "routing-callback-request-scheduler",
        "routing-follow-up-scheduler",
        "reports-routing",
        "reports-history",
        "history-documents",
        "documents-approval-scheduler",
        "documents-away-approvers",
        "notifier-documents",
        "routing-document-sends",
    ],
    "TIMERS": [
        "routing-deadlines",
        "routing-wait-deadlines",
        "routing-presence-deadlines",
        "routing-wrapup-deadlines",
        "routing-identify-deadlines",
        "routing-bridge-deadlines",
        "routing-callback-deadlines",
        "routing-follow-up-deadlines",
        "notifier-retries",
        "sla-deadlines",
        "reports-schedules",
        "documents-approval-deadlines",
    ],
}


def stack_config(
    offer_timeout: float = 1.5,
    escalation_timeout: float = 2.0,
    max_wait: float = 120.0,
    heartbeat_timeout: float = 60.0,
) -> SwitchboardConfig:
    return SwitchboardConfig(
        routing=RoutingConfig(
            offer_timeout_seconds=offer_timeout,
            escalation_timeout_seconds=escalation_timeout,
            max_wait_seconds=max_wait,
            heartbeat_timeout_seconds=heartbeat_timeout,
        ),
        forms=[FormConfig(id="contact-us")],
        # Every form a test posts comes from 127.0.0.1: the per-address limit is tested on
        # its own (tests/security), not in every scenario.
        ingest=IngestConfig(form_burst=100_000, form_per_hour=1e9),
        # Tests that want inbound e-mail turn it on with a free port.
        channels=ChannelsConfig(
            email=EmailChannel(enabled=False, mailboxes=["support@shop.example"])
        ),
        auth=test_auth(),
        people=[
            # One contact at a time keeps these scenarios' offers predictable; capacity
            # per kind of work is covered by the routing unit tests.
            Person(
                id="alice",
                name="Alice",
                password_hash=password_hash("alice"),
                email="alice@example.com",
                supervisor="sam",
                capacity=ONE_AT_A_TIME,
            ),
            Person(
                id="bob",
                name="Bob",
                password_hash=password_hash("bob"),
                email="bob@example.com",
                supervisor="sam",
                capacity=ONE_AT_A_TIME,
            ),
            Person(
                id="sam",
                name="Sam",
                role="supervisor",
                email="sam@example.com",
                supervisor="hana",
                password_hash=password_hash("sam"),
            ),
            Person(
                id="hana",
                name="Hana",
                role="supervisor",
                email="hana@example.com",
                password_hash=password_hash("hana"),
            ),
        ],
    )


class Stack:
    def __init__(
        self,
        data_dir: Path,
        nats_server: NatsServerProcess,
        database_url: str | None = None,
        smtp_url: str | None = None,
        config: SwitchboardConfig | None = None,
    ) -> None:
        self.nats_server = nats_server
        self.config = config or stack_config()
        self.settings = Settings(
            data_dir=data_dir,
            database_url=database_url,
            smtp_url=smtp_url,
            http_port=free_port(),
            nats_url=nats_server.url,
        )
        self.base_url = f"http://127.0.0.1:{self.settings.http_port}"
        self.runtime: Runtime | None = None
        # Operator's tooling by default; `signed_in` acts as one person.
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=15.0, headers=ADMIN)
        self._people: list[httpx.AsyncClient] = []

    async def start(self) -> None:
        self.runtime = Runtime(
            self.settings,
            self.config,
            ["ingest", "routing", "history", "notifier", "reports", "sla"],
            self.nats_server.url,
        )
        await self.runtime.start()

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    async def close(self) -> None:
        await self.stop()
        await self.http.aclose()
        for client in self._people:
            await client.aclose()

    async def signed_in(self, person_id: str, password: str | None = None) -> httpx.AsyncClient:
        """A client holding `person_id`'s session cookie, as their desk would."""
        client = httpx.AsyncClient(base_url=self.base_url, timeout=15.0)
        r = await client.post(
            "/api/session", json={"user": person_id, "password": password or person_id}
        )
        assert r.status_code == 200, r.text
        self._people.append(client)
        return client

    # Driving it the way an agent or a channel would --------------------------------

    async def status(self, agent_id: str, status: str) -> dict[str, Any]:
        r = await self.http.post(f"/api/agents/{agent_id}/status", json={"status": status})
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    async def post_form(self, **fields: Any) -> httpx.Response:
        return await self.http.post("/channels/webform/contact-us", json=fields)

    async def offers(self, agent_id: str) -> list[dict[str, Any]]:
        r = await self.http.get(f"/api/agents/{agent_id}/offers")
        assert r.status_code == 200, r.text
        result: list[dict[str, Any]] = r.json()
        return result

    async def customer(self, email: str) -> dict[str, Any] | None:
        r = await self.http.get("/api/customers", params={"email": email})
        assert r.status_code == 200, r.text
        found: list[dict[str, Any]] = r.json()
        return found[0] if found else None

    async def customer_by(self, **params: str) -> dict[str, Any] | None:
        r = await self.http.get("/api/customers", params=params)
        assert r.status_code == 200, r.text
        found: list[dict[str, Any]] = r.json()
        return found[0] if found else None

    async def timeline(self, customer_id: uuid.UUID | str) -> list[dict[str, Any]]:
        r = await self.http.get(f"/api/customers/{customer_id}/timeline", params={"limit": 500})
        assert r.status_code == 200, r.text
        entries: list[dict[str, Any]] = r.json()
        return sorted(entries, key=lambda e: e["position"])

    # Looking at NATS directly ------------------------------------------------------

    async def consumers(self) -> dict[str, ConsumerInfo]:
        return await consumers(self.nats_server.url)

    async def settled(self) -> bool:
        return await settled(self.nats_server.url, self.settings)

    async def all_consumed(self) -> bool:
        return await all_consumed(self.nats_server.url)


async def consumers(nats_url: str) -> dict[str, ConsumerInfo]:
    nc = await nats.connect(nats_servers(nats_url))
    try:
        return await _consumer_infos(nc.jetstream())
    finally:
        await nc.close()


async def _consumer_infos(js: JetStreamContext) -> dict[str, ConsumerInfo]:
    # Side by side: a wait polls this, and one round trip after another held it up.
    pairs = [(stream, name) for stream, names in CONSUMERS.items() for name in names]
    infos = await asyncio.gather(*(js.consumer_info(stream, name) for stream, name in pairs))
    return {name: info for (_, name), info in zip(pairs, infos, strict=True)}


async def settled(nats_url: str, settings: Settings) -> bool:
    """Nothing in flight: relays have published their whole store, every consumer is
    idle and the timeline has projected the whole history store."""
    return not await in_flight(nats_url, settings)


async def in_flight(nats_url: str, settings: Settings) -> list[str]:
    """What is not at rest yet, to read when a test waits in vain."""
    from tests.support.stores import stored_events, timeline_position

    left: list[str] = []
    nc = await nats.connect(nats_servers(nats_url))
    try:
        js = nc.jetstream()
        kv = await js.key_value(RELAY_BUCKET)
        for app in ("routing", "history"):
            try:
                relayed = int((await kv.get(app)).value or b"0")
            except KeyNotFoundError:
                relayed = 0
            stored = stored_events(settings, app)
            if relayed != stored:
                left.append(f"relay {app}: {relayed} of {stored}")
        infos = await _consumer_infos(js)
    finally:
        await nc.close()
    projected, history = timeline_position(settings), stored_events(settings, "history")
    if projected != history:
        left.append(f"timeline: {projected} of {history}")
    for name, info in infos.items():
        if info.num_pending or info.num_ack_pending:
            left.append(f"{name}: {info.num_pending} pending, {info.num_ack_pending} unacked")
    return left


async def all_consumed(nats_url: str) -> bool:
    infos = await consumers(nats_url)
    return all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos.values())


def delivered(info: ConsumerInfo) -> SequenceInfo:
    """How far a consumer has delivered: the server always reports it for an existing
    consumer, though the client types it as optional."""
    assert info.delivered is not None, info
    return info.delivered


@contextlib.asynccontextmanager
async def running_stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    config: SwitchboardConfig | None = None,
    smtp_url: str | None = None,
) -> AsyncIterator[Stack]:
    """The whole system on the store the fixture is parametrized with ("sqlite"/"postgres")."""
    database_url = None
    if request.param == "postgres":
        cluster = request.getfixturevalue("postgres_cluster")
        database_url = cluster.create_database(f"sb_{uuid.uuid4().hex[:16]}")
    stack = Stack(tmp_path / "data", nats_server, database_url, smtp_url, config)
    await stack.start()
    try:
        yield stack
    finally:
        await stack.close()


@contextlib.asynccontextmanager
async def replica(
    data_dir: Path,
    nats_server: NatsServerProcess,
    database_url: str | None,
    config: SwitchboardConfig,
    services: tuple[str, ...] = ("routing",),
    session_secret: str | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """More replicas of `services` beside a Stack on the same NATS and database (they share
    its consumers; give them its session secret to share its sessions too); yields an
    operator's client of the replica's own HTTP API."""
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        http_port=free_port(),
        session_secret=session_secret,
    )
    runtime = Runtime(
        settings,
        config,
        list(services),
        nats_server.url,
    )
    await runtime.start()
    client = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{runtime.settings.http_port}", headers=ADMIN, timeout=15.0
    )
    try:
        yield client
    finally:
        await client.aclose()
        await runtime.stop()
