"""Where a burst's backlog sits while `up` drains it (`bench.burst --watch`): every durable
consumer's unfinished messages, and how far each outbox relay is behind its store.

Session 11 found this way that routing waited on history's relay, not on a consumer: what
history had stored was published a quarter at a time (docs/capacity.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError

from switchboard.jetstream import EVENTS, INBOUND, RELAY_BUCKET

# The logs whose relays a contact waits on: routing's (opened, queued, offered) and
# history's (the customer named).
RELAYED = ("routing", "history")
_PARTITION = re.compile(r"^(?P<service>.+)-p\d+$")


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the burst began
    # Relay -> events stored and not yet published; consumer -> messages not yet acked.
    lag: dict[str, int]
    pending: dict[str, int]

    def line(self) -> str:
        lag = " ".join(f"{app}={n:,}" for app, n in self.lag.items())
        pending = " ".join(f"{name}={n:,}" for name, n in self.pending.items())
        return f"{self.at:6.1f}s  relay lag: {lag or '-'}  |  unfinished: {pending or '-'}"

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at, "relay_lag": self.lag, "pending": self.pending}


def grouped(pending: dict[str, int]) -> dict[str, int]:
    """A service's INBOUND partitions as one (`routing-inbound`), nothing that is done, the
    largest first."""
    merged: dict[str, int] = {}
    for name, n in pending.items():
        match = _PARTITION.match(name)
        key = f"{match['service']}-inbound" if match else name
        merged[key] = merged.get(key, 0) + n
    return dict(sorted(((k, n) for k, n in merged.items() if n), key=lambda kv: -kv[1]))


def _stored(store: Path) -> int | None:
    """The last notification id of a SQLite event store (None: not a SQLite store here)."""
    if not store.exists():
        return None
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1)) as db:
        row = db.execute("SELECT max(rowid) FROM stored_events").fetchone()
    return int(row[0] or 0)


async def unfinished(js: JetStreamContext) -> dict[str, int]:
    """Every durable consumer of INBOUND and EVENTS -> messages it has yet to take or settle."""
    pending: dict[str, int] = {}
    for stream in (INBOUND, EVENTS):
        for info in await js.consumers_info(stream):
            pending[info.config.durable_name or ""] = (info.num_pending or 0) + (
                info.num_ack_pending or 0
            )
    return pending


@dataclass
class Watch:
    """Samples every `every` seconds until cancelled. Relay lag needs the SQLite stores
    (`data_dir`); on PostgreSQL only the consumers are shown."""

    js: JetStreamContext
    data_dir: Path
    every: float = 2.0
    samples: list[Sample] = field(default_factory=list)

    async def run(self, started: float) -> None:
        while True:
            self.samples.append(await self.sample(started))
            await asyncio.sleep(self.every)

    async def sample(self, started: float) -> Sample:
        pending = await unfinished(self.js)
        lag: dict[str, int] = {}
        kv = await self.js.key_value(RELAY_BUCKET)
        for app in RELAYED:
            stored = await asyncio.to_thread(_stored, self.data_dir / f"{app}.sqlite")
            if stored is None:
                continue
            try:
                relayed = int((await kv.get(app)).value or b"0")
            except KeyNotFoundError:
                relayed = 0
            lag[app] = max(stored - relayed, 0)
        return Sample(round(time.monotonic() - started, 1), lag, grouped(pending))
