"""Two batch readers of one stream in one process on a real nats-server: while the urgent
one is behind, the deferred one takes a batch per hold at most, then catches up; each
decides every message once. A normal reader beside the same urgent one keeps its own pace,
which shows the waiting is the lane's doing (switchboard/precedence.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import nats
import pytest
from eventsourcing.persistence import Tracking
from faststream.nats import NatsBroker
from nats.js.errors import NotFoundError

from events import Event, InteractionReceived
from switchboard.batching import Batching
from switchboard.inbound_batches import BatchReader, decide_tracked
from switchboard.inbox import Inbox
from switchboard.jetstream import INBOUND, ensure_streams, inbound_partition_subject
from switchboard.nats_server import NatsServerProcess
from switchboard.precedence import HOLD, THRESHOLD, Lane
from switchboard.serial import SerialExecutor
from switchboard.settings import Settings
from switchboard.store import TrackedApplication
from tests.integration.test_inbound_batches import publish, stored_names
from tests.support.stores import tracked_store
from tests.support.waiting import eventually
from tests.unit.test_batch_commits import Tally

MESSAGES = 400
BATCH = 32
SLOW = 0.01  # seconds the urgent reader takes per message: 4 s behind at the start


def store(tmp_path: Path, name: str) -> TrackedApplication:
    settings = Settings(data_dir=tmp_path / name)
    settings.data_dir.mkdir()
    app = tracked_store(settings, name)
    return app


@pytest.mark.parametrize("lane", [Lane.DEFERRED, Lane.NORMAL], ids=["deferred", "normal"])
async def test_a_deferred_reader_waits_while_an_urgent_one_is_behind(
    nats_server: NatsServerProcess, tmp_path: Path, lane: Lane
) -> None:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, 3600, inbound_partitions=1)
    await publish(js, *range(MESSAGES))
    urgent_app, other_app = store(tmp_path, "routing"), store(tmp_path, "reports")
    urgent_done: list[float] = []
    other_done: list[float] = []

    def slow(event: Event, tracking: Tracking) -> None:
        assert isinstance(event, InteractionReceived)
        time.sleep(SLOW)  # the store's thread: the event loop stays free
        urgent_app.commit(Tally(event.external_id), tracking=tracking)
        urgent_done.append(time.monotonic())

    def quick(event: Event, tracking: Tracking) -> None:
        assert isinstance(event, InteractionReceived)
        other_app.commit(Tally(event.external_id), tracking=tracking)
        other_done.append(time.monotonic())

    async def unused(event: Event, tracking: Tracking) -> None:
        raise AssertionError("every batch is decided whole here")

    broker = NatsBroker(nats_server.url)
    subject = inbound_partition_subject(0)
    run_urgent, run_other = SerialExecutor("urgent"), SerialExecutor("other")
    readers = [
        BatchReader(
            js,
            Inbox(broker, "routing-p0"),
            subject,
            run_urgent,
            decide_tracked(urgent_app, slow),
            unused,
            Batching(BATCH),
            lane=Lane.URGENT,
        ),
        BatchReader(
            js,
            Inbox(broker, "reports-p0"),
            subject,
            run_other,
            decide_tracked(other_app, quick),
            unused,
            Batching(BATCH),
            lane=lane,
        ),
    ]
    started = time.monotonic()
    tasks = [asyncio.create_task(r.run()) for r in readers]
    try:

        async def drained() -> bool:
            for durable in ("routing-p0", "reports-p0"):
                try:
                    info = await js.consumer_info(INBOUND, durable)
                except NotFoundError:
                    return False  # its reader has not made it yet
                if info.num_pending + info.num_ack_pending:
                    return False
            return len(urgent_done) == len(other_done) == MESSAGES

        await eventually(drained, timeout=90, interval=0.1)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    expected = [str(n) for n in range(MESSAGES)]
    assert stored_names(urgent_app) == expected and stored_names(other_app) == expected
    # From here on the urgent reader's fetches may find less than THRESHOLD waiting (one
    # batch in hand, one in flight).
    caught_up = urgent_done[MESSAGES - THRESHOLD - 2 * BATCH - 1]
    before = sum(1 for t in other_done if t < caught_up)
    turns = (caught_up - started) / HOLD
    if lane is Lane.DEFERRED:
        assert before <= BATCH * (turns + 2), (before, turns)
        assert max(other_done) >= caught_up, "the rest came once the urgent one caught up"
    else:
        assert before == MESSAGES, "a normal reader does not wait"
    for app, run in ((urgent_app, run_urgent), (other_app, run_other)):
        run.shutdown()
        app.close()
    await nc.close()
