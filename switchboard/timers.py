"""Deadlines as NATS message schedules: one schedule subject per deadline, so publishing
again replaces it (rescheduling is idempotent) and it survives restarts of every process."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from faststream.nats import NatsBroker

from events import Deadline
from switchboard.jetstream import TIMERS, Envelope, envelope


class Scheduled(NamedTuple):
    """A deadline and when it falls due."""

    deadline: Deadline
    at: datetime


def schedule_envelope(deadline: Deadline, at: datetime, **headers: str) -> Envelope:
    """The message that schedules `deadline` at `at` on TIMERS."""
    env = envelope(deadline, subject=deadline.schedule_subject(), **headers)
    when = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    env.headers.update(
        {"Nats-Schedule": f"@at {when}", "Nats-Schedule-Target": deadline.fire_subject()}
    )
    return env


async def schedule(broker: NatsBroker, deadline: Deadline, at: datetime) -> None:
    env = schedule_envelope(deadline, at)
    await broker.publish(env.body, env.subject, headers=env.headers, stream=TIMERS)
