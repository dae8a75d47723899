"""INBOUND by partition on a real nats-server: NATS maps each key to one partition, a
message without a key is refused, and a deployment from before partitions hands what its
single consumers still held to the new code without losing or doubling any of it."""

from __future__ import annotations

from collections import Counter
from functools import partial
from pathlib import Path

import nats
import pytest
from nats.errors import NoRespondersError
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NoStreamResponseError, NotFoundError

from events import InboundEvent, InteractionReceived, InteractionUpdated, Sender
from switchboard.jetstream import (
    INBOUND,
    LEGACY_INBOUND_SUBJECTS,
    consumer_config,
    ensure_streams,
    envelope,
)
from switchboard.nats_server import NatsServerProcess
from tests.support.stack import Stack
from tests.support.waiting import eventually


def form(n: int, email: str) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("webform", "contact-us", f"old-{n}"),
        channel="webform",
        source="contact-us",
        external_id=f"old-{n}",
        sender=Sender(email=email),
        text=f"message {n}",
    )


def edited(original: InteractionReceived) -> InteractionUpdated:
    return InteractionUpdated(
        interaction_id=original.interaction_id,
        channel=original.channel,
        source=original.source,
        external_id=f"{original.external_id}:edit",
        kind="edited",
        text="edited",
    )


async def publish(js: JetStreamContext, event: InboundEvent, subject: str) -> str:
    env = envelope(event, subject=subject, **{"Nats-Msg-Id": event.msg_id()})
    ack = await js.publish(env.subject, env.body, headers=env.headers, stream=INBOUND)
    stored = await js.get_msg(INBOUND, ack.seq)
    assert stored.subject is not None
    return stored.subject


async def test_each_key_lands_in_one_partition_and_all_partitions_are_used(
    nats_server: NatsServerProcess,
) -> None:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, 60, inbound_partitions=4)
    partitions: dict[str, set[str]] = {}
    for n in range(60):
        event = form(n, f"c{n % 20}@example.com")
        stored = await publish(js, event, event.publish_subject())
        prefix, inbound, partition, channel = stored.split(".")
        assert (prefix, inbound, channel) == ("sb", "inbound", "webform")
        partitions.setdefault(event.partition_key(), set()).add(partition)
    assert len(partitions) == 20
    assert all(len(p) == 1 for p in partitions.values())  # a sender stays in its partition
    assert set().union(*partitions.values()) == {"0", "1", "2", "3"}
    with pytest.raises((NoStreamResponseError, NoRespondersError)):
        await js.publish("sb.inbound.webform", b"{}", stream=INBOUND, timeout=1)
    await nc.close()


async def old_layout(js: JetStreamContext) -> None:
    """INBOUND and its consumers as the release before partitions declared them."""
    await js.add_stream(StreamConfig(name=INBOUND, subjects=["sb.inbound.>"], duplicate_window=60))
    for name in ("routing", "history"):
        await js.add_consumer(INBOUND, consumer_config(name, "sb.inbound.>"))


async def test_old_consumers_no_longer_see_what_is_stored_by_partition(
    nats_server: NatsServerProcess,
) -> None:
    # So a replica of the old release still running during the upgrade cannot handle a
    # message that a partition's consumer handles too.
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await old_layout(js)
    await publish(js, form(1, "old@example.com"), "sb.inbound.webform")
    await ensure_streams(js, 60, inbound_partitions=4)
    event = form(2, "new@example.com")
    assert (await publish(js, event, event.publish_subject())).split(".")[2].isdigit()
    for name in ("routing", "history"):
        info = await js.consumer_info(INBOUND, name)
        assert info.config.filter_subjects == LEGACY_INBOUND_SUBJECTS
        assert info.num_pending == 1  # the old message only
    await nc.close()


async def test_old_single_consumers_are_drained_then_deleted(
    tmp_path: Path, nats_server: NatsServerProcess
) -> None:
    # The old layout, holding messages stored the old way that nobody has handled yet.
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await old_layout(js)
    for n in range(3):
        await publish(js, form(n, f"old{n}@example.com"), "sb.inbound.webform")

    stack = Stack(tmp_path / "data", nats_server)
    await stack.start()
    try:
        # New messages, among them one more from a customer whose first is still queued.
        for email in ("old0@example.com", "new0@example.com", "new1@example.com"):
            r = await stack.post_form(email=email, message="after the upgrade")
            assert r.status_code == 202
        # An edit of a message stored the old way, published the new way: recorded once.
        edit = edited(form(1, "old1@example.com"))
        await publish(js, edit, edit.publish_subject())

        async def gone(name: str) -> bool:
            try:
                await js.consumer_info(INBOUND, name)
            except NotFoundError:
                return True
            return False

        for name in ("routing", "history"):
            await eventually(partial(gone, name))
        await eventually(stack.settled)
        received: Counter[str] = Counter()
        for email in ("old0", "old1", "old2", "new0", "new1"):
            customer = await stack.customer(f"{email}@example.com")
            assert customer is not None, email
            kinds = [e["kind"] for e in await stack.timeline(customer["customer_id"])]
            received[email] = kinds.count("InteractionReceived")
            assert kinds.count("ContactQueued") == received[email], (email, kinds)
            assert kinds.count("InteractionUpdated") == (email == "old1"), (email, kinds)
        assert received == {"old0": 2, "old1": 1, "old2": 1, "new0": 1, "new1": 1}
    finally:
        await stack.close()
        await nc.close()
