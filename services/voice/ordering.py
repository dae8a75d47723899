"""Many calls bridged at once, each contact's events still one after another.

The bridge's consumer lets up to `limit` messages be in flight (a slow Twilio answer for one
call must not hold every other call). Messages of one contact run in the order JetStream
delivered them: each waits for a lock of its contact, and asyncio hands a lock to its
waiters first come, first served. Each message is acknowledged by its own handler, so one
that fails is redelivered alone; the bridge's KV claims make a redelivery harmless."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg


class PerContact:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # contact -> (lock, users)
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, raw: Msg, handle: Callable[[Msg], Awaitable[None]]) -> None:
        """Returns once the message is started (at most `limit` run at once)."""
        key = _contact_of(raw.data)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        await self._slots.acquire()

        async def run() -> None:
            try:
                async with lock:
                    await handle(raw)
            finally:
                self._slots.release()
                held, left = self._locks[key]
                if left <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (held, left - 1)

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _contact_of(body: bytes) -> str:
    """Every event the bridge follows is about one contact; anything else is its own key
    (the Inbox dead-letters what it cannot decode)."""
    try:
        return str(json.loads(body).get("contact_id") or "")
    except (ValueError, AttributeError):
        return ""
