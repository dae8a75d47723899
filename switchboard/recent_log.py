"""The tail of an application's notification log as this process stored it: the stored
notifications and their domain events as committed.

Every follower of a store (the outbox relay, the projections, routing's board) reads what
was just stored and decodes it, each on its own: under `up` the process reads back and
decrypts its own writes three or four times over. Followers ask here first. Only a run of
notifications with consecutive ids is kept, the newest, so what it hands out is exactly
what the store would: a follower whose next id is not in it (another replica wrote, or it
is further behind) reads the store as before.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification, Recording

# Enough for the board and the projections, which follow close behind the store; a relay
# that falls further behind in a burst reads the store. Small, for `up`'s memory goal (1 GiB
# at 100,000 contacts, met by 34 MB): each kept event is a few kilobytes.
SIZE = 1024


class RecentLog:
    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()  # the store's thread adds, followers' threads read
        self._notifications: list[Notification] = []
        self._events: dict[int, Any] = {}
        # The highest id ever added: when commits add out of order (two threads), the run
        # kept may end below it, and then it does not know what follows.
        self._highest = 0

    def add(self, recordings: Sequence[Recording[Any]]) -> None:
        """A commit's recordings, on the committing thread, after the commit."""
        if not recordings:
            return
        with self._lock:
            kept = self._notifications
            for recording in recordings:
                if kept and kept[-1].id + 1 != recording.notification.id:
                    self._clear()  # not consecutive: another writer's ids fell in between
                kept.append(recording.notification)
                self._events[recording.notification.id] = recording.domain_event
                self._highest = max(self._highest, recording.notification.id)
            if len(kept) > self._size + self._size // 4:
                for dropped in kept[: len(kept) - self._size]:
                    del self._events[dropped.id]
                del kept[: len(kept) - self._size]

    def after(self, start: int, limit: int) -> list[Notification] | None:
        """Up to `limit` notifications after id `start`, or None when the next is not here."""
        with self._lock:
            kept = self._notifications
            if not kept or not kept[0].id <= start + 1 <= kept[-1].id:
                return None
            at = start + 1 - kept[0].id
            return kept[at : at + limit]

    def ends_at(self, start: int) -> bool:
        """Whether `start` is the newest id this process stored, kept here: for a store no
        other process writes, nothing follows it yet."""
        with self._lock:
            kept = self._notifications
            return bool(kept) and kept[-1].id == start == self._highest

    def event(self, notification: Notification) -> Any | None:
        """The domain event stored as `notification`, as committed, if kept."""
        with self._lock:
            event = self._events.get(notification.id)
        if event is None or event.originator_version != notification.originator_version:
            return None
        return event

    def clear(self) -> None:
        """Forgets everything: a customer's key was destroyed, and what is kept here reads
        in the clear where the store now reads as erased."""
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        self._notifications.clear()
        self._events.clear()
