"""A message in flight is claimed only while its consumer lives: a slow handler keeps it
however long it takes, and the message of a consumer that died is handed out again within
the ack wait; durables made with an older ack wait get today's when the services start."""

from __future__ import annotations

import time

import nats
import pytest
from nats.js.api import StreamConfig

from switchboard.inbox import claimed
from switchboard.jetstream import ACK_WAIT, TIMERS, consumer_config, ensure_streams
from switchboard.nats_server import NatsServerProcess


async def test_a_slow_handler_keeps_its_message_and_a_dead_ones_comes_back(
    nats_server: NatsServerProcess,
) -> None:
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name="T", subjects=["t.>"]))
        config = consumer_config("worker", "t.>")
        config.ack_wait = 1.0
        await js.add_consumer("T", config)
        sub = await js.pull_subscribe_bind("worker", "T")

        await js.publish("t.1", b"slow")
        [msg] = await sub.fetch(1)
        other = await js.pull_subscribe_bind("worker", "T")  # another replica, asking
        async with claimed(msg, every=0.3):
            with pytest.raises(nats.errors.TimeoutError):
                await other.fetch(1, timeout=3.0)  # three ack waits
        info = await js.consumer_info("T", "worker")
        assert (info.num_redelivered, info.num_ack_pending) == (0, 1)
        await msg.ack()

        await js.publish("t.2", b"orphaned")
        [taken] = await sub.fetch(1)  # and never acknowledged, as by a process killed
        started = time.monotonic()
        [again] = await sub.fetch(1, timeout=5.0)
        assert again.data == taken.data == b"orphaned"
        assert again.metadata.num_delivered == 2
        assert time.monotonic() - started < 1.0 + 1.5
    finally:
        await nc.close()


async def test_durables_from_before_get_todays_ack_wait(nats_server: NatsServerProcess) -> None:
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await ensure_streams(js, 120)
        old = consumer_config("routing-deadlines", "sb.timers.fired.offer.>")
        old.ack_wait = 30.0
        await js.add_consumer(TIMERS, old)
        assert (await js.consumer_info(TIMERS, "routing-deadlines")).config.ack_wait == 30.0
        await ensure_streams(js, 120)
        info = await js.consumer_info(TIMERS, "routing-deadlines")
        assert info.config.ack_wait == ACK_WAIT
        assert info.config.filter_subject == "sb.timers.fired.offer.>"
    finally:
        await nc.close()
