"""Routing's relay schedules the deadlines its events set (services/routing/deadlines.py);
before, one EVENTS consumer per kind of deadline did. A system upgraded with events still
waiting in those consumers schedules them, then deletes the consumers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
import pytest
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from events import ContactOpened, IdentifyDeadline
from switchboard.jetstream import EVENTS, TIMERS, consumer_config, ensure_streams, envelope
from switchboard.nats_server import NatsServerProcess
from tests.support.stack import Stack
from tests.support.waiting import eventually


async def gone(js: JetStreamContext, durable: str) -> bool:
    try:
        await js.consumer_info(EVENTS, durable)
    except NotFoundError:
        return True
    return False


async def test_what_a_retired_scheduler_holds_is_scheduled_then_it_is_deleted(
    nats_server: NatsServerProcess, tmp_path: Path
) -> None:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, 3600)
    # As the previous version left them: one holding a contact's opening, one caught up.
    for durable, subject in (
        ("routing-identify-scheduler", ContactOpened.subject),
        ("routing-scheduler", "sb.events.routing.AgentOffered"),
    ):
        await js.add_consumer(EVENTS, consumer_config(durable, subject))
    contact = uuid.uuid4()
    identify_by = datetime.now(UTC) + timedelta(hours=1)
    opened = ContactOpened(
        contact_id=contact, interaction_id=uuid.uuid4(), channel="web", identify_by=identify_by
    )
    env = envelope(opened)
    await js.publish(env.subject, env.body, headers=env.headers, stream=EVENTS)
    deadline = IdentifyDeadline(contact_id=contact)
    with pytest.raises(NotFoundError):
        await js.get_last_msg(TIMERS, deadline.schedule_subject())

    stack = Stack(tmp_path / "data", nats_server)
    await stack.start()
    try:
        await eventually(lambda: gone(js, "routing-identify-scheduler"))
        await eventually(lambda: gone(js, "routing-scheduler"))
        scheduled = await js.get_last_msg(TIMERS, deadline.schedule_subject())
        assert scheduled.headers is not None
        when = identify_by.isoformat().replace("+00:00", "Z")
        assert scheduled.headers["Nats-Schedule"] == f"@at {when}"
    finally:
        await stack.close()
        await nc.close()
