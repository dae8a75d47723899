"""The outbox relay on a real nats-server: where it stands in its log is kept in the relay
bucket; replicas relaying one log read it to see how far the others got, and a sole writer
(`up`) keeps it in memory without publishing anything twice. The deadlines an event sets go
out with it, once."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError

from events import AgentStatusChanged, Event, PresenceDeadline
from switchboard.jetstream import EVENTS, RELAY_BUCKET, TIMERS, ensure_streams
from switchboard.nats_server import NatsServerProcess
from switchboard.outbox import OutboxRelay
from switchboard.serial import SerialExecutor
from switchboard.settings import Settings
from switchboard.store import TrackedApplication
from switchboard.timers import Scheduled
from tests.support.stores import tracked_store
from tests.support.waiting import eventually
from tests.unit.test_batch_commits import Tally


def contract(domain_event: Any) -> Event | None:
    """Each Tally created is told as a status change named after it."""
    name = getattr(domain_event, "name", None)
    return AgentStatusChanged(agent_id=name, status="available") if name else None


async def told(js: JetStreamContext, prefix: str) -> list[str]:
    """The agent ids starting with `prefix` that EVENTS holds, in order (the nats-server
    is the whole session's)."""
    sub = await js.subscribe(AgentStatusChanged.subject, stream=EVENTS, ordered_consumer=True)
    found: list[str] = []
    try:
        while True:
            msg = await sub.next_msg(timeout=0.5)
            agent = AgentStatusChanged.model_validate_json(msg.data).agent_id
            if agent.startswith(prefix):
                found.append(agent)
    except TimeoutError:
        return found
    finally:
        await sub.unsubscribe()


async def relayed_to(nc: Client, app: TrackedApplication, position: int) -> bool:
    kv = await nc.jetstream().key_value(RELAY_BUCKET)
    try:
        return int((await kv.get(app.name)).value or b"0") >= position
    except KeyNotFoundError:
        return False  # it has not relayed anything yet


@dataclass
class Log:
    """An application's log on the session's nats-server, for relays to follow."""

    nc: Client
    js: JetStreamContext
    app: TrackedApplication
    run: SerialExecutor
    name: str


@pytest.fixture
async def log(nats_server: NatsServerProcess, tmp_path: Path) -> AsyncIterator[Log]:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, 3600)
    name = f"relay-{uuid.uuid4().hex[:8]}"
    app = tracked_store(Settings(data_dir=tmp_path), name)
    run = SerialExecutor("relay-test")
    yield Log(nc, js, app, run, name)
    run.shutdown()
    app.close()
    await nc.close()


async def running(relay: OutboxRelay) -> asyncio.Task[None]:
    return asyncio.create_task(relay.follower.run())


async def stopped(task: asyncio.Task[None]) -> None:
    # Cancelled again until it ends, as the runtime's stop does (`_bounded`): a nats-py
    # request's wait_for can swallow a cancellation before Python 3.12, and the follower
    # then ran on (a hang seen here under load).
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.2)


async def relayed_once(relay: OutboxRelay, log: Log, position: int) -> None:
    """Runs `relay` until the bucket says it reached `position`, then stops it."""
    task = await running(relay)
    await eventually(lambda: relayed_to(log.nc, log.app, position))
    await stopped(task)


async def test_replicas_read_each_others_position_and_a_sole_writer_relays_once(
    log: Log,
) -> None:
    nc, js, app, run, name = log.nc, log.js, log.app, log.run, log.name

    def relay(sole_writer: bool) -> OutboxRelay:
        return OutboxRelay(
            app.name, app, js, contract, run, idle_poll=0.05, sole_writer=sole_writer
        )

    async def commit(*numbers: int) -> None:
        for n in numbers:
            await run(app.commit, Tally(f"{name}-{n}"))

    # Replicas of a service relay one log. The second looks once (nothing there yet) and
    # stops; the first relays five; the second, run again, starts where the bucket says.
    first, second = relay(False), relay(False)
    task = await running(second)
    await asyncio.sleep(0.3)  # it looked, and found nothing to relay
    await stopped(task)
    task = await running(first)
    await commit(0, 1, 2, 3, 4)
    await eventually(lambda: relayed_to(nc, app, 5))
    await stopped(task)
    await commit(5, 6)
    task = await running(second)
    await eventually(lambda: relayed_to(nc, app, 7))
    await stopped(task)
    assert (first.published, second.published) == (5, 2), "the second read how far it got"
    assert await told(js, name) == [f"{name}-{n}" for n in range(7)]

    # `up`: the log's one relay reads the bucket once and then keeps its position: a
    # bucket changed behind its back is not read again (and publishes nothing twice).
    alone = relay(True)
    task = await running(alone)
    await commit(7)
    await eventually(lambda: relayed_to(nc, app, 8))
    await (await js.key_value(RELAY_BUCKET)).put(app.name, b"0")
    await commit(8, 9)
    await eventually(lambda: relayed_to(nc, app, 10))
    await stopped(task)
    assert alone.published == 3
    assert await told(js, name) == [f"{name}-{n}" for n in range(10)]


async def fired(js: JetStreamContext, subject: str) -> int:
    """How many messages TIMERS holds on `subject`."""
    info = await js.stream_info(TIMERS, subjects_filter=subject)
    return sum((info.state.subjects or {}).values())


async def test_an_events_deadlines_go_out_with_it_once_through_a_retried_batch(
    log: Log,
) -> None:
    """The relay schedules what each event sets in the batch that publishes it. Relayed
    again (its position lost: the batch retried), nothing is scheduled twice, so a
    deadline that fired in between does not fire again."""
    js, app, run, name = log.js, log.app, log.run, log.name
    soon = datetime.now(UTC) + timedelta(seconds=1)
    later = datetime.now(UTC) + timedelta(hours=1)

    def deadlines(event: Event) -> list[Scheduled]:
        assert isinstance(event, AgentStatusChanged)
        at = soon if event.agent_id.endswith("-0") else later
        return [Scheduled(PresenceDeadline(agent_id=event.agent_id), at)]

    async def relay_all() -> None:
        relay = OutboxRelay(app.name, app, js, contract, run, idle_poll=0.05, deadlines=deadlines)
        await relayed_once(relay, log, 2)

    for n in range(2):
        await run(app.commit, Tally(f"{name}-{n}"))
    await relay_all()
    first, second = (PresenceDeadline(agent_id=f"{name}-{n}") for n in range(2))
    scheduled = await js.get_last_msg(TIMERS, second.schedule_subject())
    assert scheduled.headers is not None
    assert scheduled.headers["Nats-Schedule"] == f"@at {later.isoformat().replace('+00:00', 'Z')}"
    assert scheduled.headers["Nats-Schedule-Target"] == second.fire_subject()
    assert PresenceDeadline.model_validate_json(scheduled.data or b"").agent_id == f"{name}-1"

    async def first_fired() -> bool:
        return await fired(js, first.fire_subject()) == 1

    await eventually(first_fired)
    await (await js.key_value(RELAY_BUCKET)).put(app.name, b"0")
    await relay_all()
    await asyncio.sleep(1.5)  # a schedule set again in the past would have fired by now
    assert await fired(js, first.fire_subject()) == 1
    again = await js.get_last_msg(TIMERS, second.schedule_subject())
    assert again.seq == scheduled.seq, "the retried schedule was dropped as a duplicate"
    assert await told(js, name) == [f"{name}-0", f"{name}-1"]


async def test_a_relay_decodes_only_the_events_it_may_publish(
    log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Told which stored events it publishes (by class), a relay does not decrypt and
    decode the others, and still moves past them."""
    js, app, run, name = log.js, log.app, log.run, log.name
    decoded: list[str] = []
    decode = app.mapper.to_domain_event

    def counting(stored: Any) -> Any:
        decoded.append(stored.topic.rpartition(":")[2])
        return decode(stored)

    monkeypatch.setattr(app.mapper, "to_domain_event", counting)
    tally = Tally(f"{name}-0")
    tally.count_one()
    await run(app.commit, tally)  # Tally.Created, Tally.Counted
    # As a relay finds them when another process stored them (or this one long ago): from
    # the store, not the recent log, which hands out events already decoded.
    app.recent.clear()
    relay = OutboxRelay(
        app.name, app, js, contract, run, idle_poll=0.05, publishes={"Tally.Created"}.__contains__
    )
    await relayed_once(relay, log, 2)
    assert decoded == ["Tally.Created"]
    assert await told(js, name) == [f"{name}-0"]


async def test_a_sole_writer_stores_its_position_a_moment_after_its_batches(log: Log) -> None:
    """`up`'s relay stores where it stands once for batches in quick succession, a moment
    after the last (a JetStream round trip per batch was about one per contact), and the
    bucket always ends where the relay did."""
    nc, js, app, run, name = log.nc, log.js, log.app, log.run, log.name
    kv = await js.key_value(RELAY_BUCKET)
    watcher = await kv.watch(app.name)
    stored: list[int] = []

    async def watch() -> None:
        while True:
            entry = await watcher.updates(timeout=60)  # type: ignore[no-untyped-call]
            if entry is not None and entry.value is not None:  # None: no history before it
                stored.append(int(entry.value))

    watching = asyncio.create_task(watch())
    relay = OutboxRelay(app.name, app, js, contract, run, idle_poll=0.05, sole_writer=True)
    task = await running(relay)

    async def published(count: int) -> bool:
        return relay.published >= count

    for n in range(4):  # a batch each: the relay published the one before first
        await run(app.commit, Tally(f"{name}-{n}"))
        await eventually(functools.partial(published, n + 1), timeout=5, interval=0.01)
    await eventually(lambda: relayed_to(nc, app, 4))
    await stopped(task)
    watching.cancel()
    await watcher.stop()  # type: ignore[no-untyped-call]
    assert await told(js, name) == [f"{name}-{n}" for n in range(4)]
    assert stored == [4], f"stored after each batch: {stored}"
