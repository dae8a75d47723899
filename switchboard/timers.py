"""Deadlines as NATS message schedules: one schedule subject per deadline, so publishing
again replaces it (rescheduling is idempotent) and it survives restarts of every process."""

from __future__ import annotations

from datetime import UTC, datetime

from faststream.nats import NatsBroker

from events import Deadline
from switchboard.jetstream import TIMERS, envelope


async def schedule(broker: NatsBroker, deadline: Deadline, at: datetime) -> None:
    env = envelope(deadline, subject=deadline.schedule_subject())
    when = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    env.headers.update(
        {"Nats-Schedule": f"@at {when}", "Nats-Schedule-Target": deadline.fire_subject()}
    )
    await broker.publish(env.body, env.subject, headers=env.headers, stream=TIMERS)
