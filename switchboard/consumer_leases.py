"""One reader per durable consumer among replicas, so each may read it in batches.

A batch is decided only when it is everything its consumer has handed out
(switchboard/inbound_batches.py); replicas fetching one consumer at once keep handing each
other's partial batches back, which is why `serve` used to read one message at a time.
A lease makes one replica the consumer's reader: a key per durable in LEASE_BUCKET whose
value names the holder, written only if absent (`create`) and rewritten by its holder every
third of LEASE_SECONDS (`update` against the revision it last wrote). The bucket's TTL
drops a key its holder stopped rewriting (killed, partitioned away), and then another
replica takes it; a holder that stops cleanly deletes it, so a rolling restart hands over
at once.

Replicas share the consumers. One that holds fewer than another says so: while it waits for
a lease, it writes `<durable>.wanted` with its name and how many leases it holds. A holder
renewing that lease while holding at least two more gives it up and stays off it for half
a TTL, so the one waiting takes it. One lease per TTL per process at most: the count a
waiter wrote is up to a try old, and yielding faster could overshoot, hand the surplus the
other way and swing for ever. A replica that starts beside one holding everything gets its
share in about a TTL per lease.

A lease only spares work; it never carries exactly-once. Two readers at once (a holder
paused past the TTL while another took over) are still safe: the batch fence hands back
a batch that is not the whole of what is out, each tracking record refuses a position
twice, and each aggregate's version check refuses a stale decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid

from nats.js import JetStreamContext
from nats.js.errors import KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

from switchboard.jetstream import LEASE_BUCKET, LEASE_SECONDS
from switchboard.settings import Settings

log = logging.getLogger(__name__)


class Leases:
    """A process's leases: one holder name, one bucket lookup. `seconds` must be the
    bucket's TTL (ensure_streams makes LEASE_BUCKET with LEASE_SECONDS)."""

    def __init__(
        self,
        js: JetStreamContext,
        holder: str | None = None,
        bucket: str = LEASE_BUCKET,
        seconds: float = LEASE_SECONDS,
    ) -> None:
        self._js = js
        # Says which process it is, for whoever reads the bucket (`nats kv get`).
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._bucket = bucket
        self.seconds = seconds
        self._kv: KeyValue | None = None
        self._leases: list[Lease] = []
        self._yielded = float("-inf")
        self.yields = 0

    def of(self, durable: str) -> Lease:
        lease = Lease(self, durable)
        self._leases.append(lease)
        return lease

    def count(self) -> int:
        """How many this process holds now."""
        return sum(lease.held for lease in self._leases)

    def may_yield(self) -> bool:
        return time.monotonic() - self._yielded >= self.seconds

    def take_turn_to_yield(self) -> bool:
        """Whether this lease may be yielded now; if so, none other for a TTL. Checked and
        recorded without a wait between: every lease renews on its own task."""
        if not self.may_yield():
            return False
        self._yielded = time.monotonic()
        self.yields += 1
        return True

    async def bucket(self) -> KeyValue:
        if self._kv is None:
            self._kv = await self._js.key_value(self._bucket)
        return self._kv


class Lease:
    """Whether this process reads `durable` now. `hold` waits until it does, trying every
    quarter of the lease; `renew` runs beside the reading, rewrites it every third and
    yields it to a replica holding fewer; `release` gives it up."""

    def __init__(self, leases: Leases, durable: str) -> None:
        self._leases = leases
        self.durable = durable
        self._wanted = f"{durable}.wanted"
        self._revision = 0
        self._written = float("-inf")  # monotonic time just before the last write that held
        self._not_before = float("-inf")  # after yielding it, the waiter's turn first

    @property
    def held(self) -> bool:
        # Counted from before the write was sent: the server's TTL began no earlier.
        return time.monotonic() - self._written < self._leases.seconds

    async def hold(self) -> None:
        """Returns once this process holds the lease."""
        while not self.held:
            taken = False
            try:
                if time.monotonic() >= self._not_before:
                    taken = await self._take()
                if not taken:
                    kv = await self._leases.bucket()
                    wants = f"{self._leases.holder} {self._leases.count()}"
                    await kv.put(self._wanted, wants.encode())
            except Exception as exc:  # NATS restarting: try again
                log.warning("lease on %s: %r", self.durable, exc)
            if not taken:
                await asyncio.sleep(self._leases.seconds / 4)

    async def renew(self) -> None:
        """Rewrites the lease while it is held (run as a task beside the reader)."""
        while True:
            await asyncio.sleep(self._leases.seconds / 3)
            if not self.held:
                continue  # `hold` takes it again first
            started = time.monotonic()
            try:
                kv = await self._leases.bucket()
                self._revision = await kv.update(
                    self.durable, self._leases.holder.encode(), last=self._revision
                )
                self._written = started
                if await self._owed(kv):
                    await self.release()
                    self._not_before = time.monotonic() + self._leases.seconds / 2
                    log.info("%s yields %s", self._leases.holder, self.durable)
            except KeyWrongLastSequenceError:
                # It lapsed (and may have been taken): this process no longer reads it.
                self._written = float("-inf")
                log.warning("lease on %s lapsed; another replica may read it", self.durable)
            except Exception as exc:  # NATS restarting: `held` runs out if this lasts
                log.warning("renewing lease on %s: %r", self.durable, exc)

    async def _owed(self, kv: KeyValue) -> bool:
        """Whether a replica waiting for this lease holds at least two fewer."""
        if not self._leases.may_yield():
            return False
        try:
            entry = await kv.get(self._wanted)
        except NotFoundError:  # nobody waiting (lapsed or never written)
            return False
        holder, _, count = (entry.value or b"").decode().rpartition(" ")
        if holder == self._leases.holder or not count.isdigit():
            return False
        return self._leases.count() >= int(count) + 2 and self._leases.take_turn_to_yield()

    async def release(self) -> None:
        if not self.held:
            return
        self._written = float("-inf")
        with contextlib.suppress(Exception):
            kv = await self._leases.bucket()
            await kv.delete(self.durable, last=self._revision)

    async def _take(self) -> bool:
        kv = await self._leases.bucket()
        started = time.monotonic()
        mine = self._leases.holder.encode()
        try:
            self._revision = await kv.create(self.durable, mine)
        except KeyWrongLastSequenceError:
            # Someone's lease stands, unless it is this holder's own (its renewal's answer
            # lost to a reconnect): then it is taken back at its revision.
            try:
                entry = await kv.get(self.durable)
            except NotFoundError:  # or deleted
                return False  # lapsed meanwhile: taken on the next try
            if entry.value != mine or entry.revision is None:
                return False
            self._revision = await kv.update(self.durable, mine, last=entry.revision)
        self._written = started
        log.info("%s reads %s", self._leases.holder, self.durable)
        return True


def leases_for(settings: Settings, js: JetStreamContext) -> Leases | None:
    """A service's leases where replicas may read its consumers in batches (`serve`); None
    under `up`, the only process (its `sole_writer`), and with one message in flight, which
    any number of readers can share."""
    if settings.sole_writer or settings.batch() <= 1:
        return None
    return Leases(js)
