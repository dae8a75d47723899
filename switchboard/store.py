"""Event store wiring: SQLite by default, PostgreSQL when a URL is given."""

from __future__ import annotations

import copy
import os
import threading
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlparse

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import Notification, ProcessRecorder, Recording, Tracking

from switchboard import tracing
from switchboard.known_absent import absent_ids
from switchboard.log_follower import select_after
from switchboard.recent_log import RecentLog
from switchboard.settings import Settings
from switchboard.shredding import ShreddingMapper
from switchboard.sqlite_store import TOPIC as SQLITE_FACTORY

# Where an application's key tables live, when not beside its store (switchboard/shredding.py).
KEYS_DATABASE_ENV = "SB_KEYS_DATABASE_URL"


class Collected(ProcessingEvent[Any]):
    """eventsourcing's ProcessingEvent, collecting an aggregate without asking first whether
    it is a domain event: that `isinstance` is against a runtime-checkable Protocol, which
    looks up each of the protocol's attributes, and it was 2 % of a burst's CPU (most
    commits are of aggregates). Anything else takes eventsourcing's own way."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            elif obj is not None:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


# The store's one writer is this process (`up`): TrackedApplication.kept_after.
SOLE_WRITER_ENV = "SWITCHBOARD_SOLE_WRITER"


def event_store_env(settings: Settings, app_name: str) -> dict[str, str]:
    """eventsourcing environment for one application's store (and its keys' database)."""
    env = _store_env(settings, app_name)
    if settings.sole_writer:
        # eventsourcing puts what a commit stored into the cache; no other writer can have
        # moved a cached aggregate on, so no read of the store to fast-forward it.
        env["AGGREGATE_CACHE_FASTFORWARD"] = "n"
        env[SOLE_WRITER_ENV] = "y"
    if settings.keys_database_url:
        env[KEYS_DATABASE_ENV] = settings.keys_database_url
    return env


def _store_env(settings: Settings, app_name: str) -> dict[str, str]:
    if settings.database_url:
        url = urlparse(settings.database_url)
        if url.scheme not in ("postgres", "postgresql"):
            raise ValueError(f"SWITCHBOARD_DATABASE_URL: unsupported scheme {url.scheme!r}")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "switchboard",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_POOL_SIZE": "4",
            "CREATE_TABLE": "y",
        }
    if os.environ.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
        return {"CREATE_TABLE": "y"}  # eventsourcing reads POSTGRES_* itself
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": SQLITE_FACTORY,
        "SQLITE_DBNAME": str(settings.data_dir / f"{app_name}.sqlite"),
        "SQLITE_SYNCHRONOUS": settings.sqlite_synchronous,
        "SQLITE_LOCK_TIMEOUT": "10",
        "CREATE_TABLE": "y",
    }


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Holds a PostgreSQL advisory lock while services create their tables: processes
    starting together on a fresh database would otherwise race in CREATE TABLE IF NOT
    EXISTS ("tuple concurrently updated"). Nothing to hold for SQLite."""
    if not settings.database_url:
        yield
        return
    import psycopg

    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))


SCHEMA_LOCK = 0x5B5C4E4D  # any constant every Switchboard process agrees on


class TrackedApplication(Application[Any]):
    """An application whose new events can be recorded atomically with a tracking record.

    Consumers of NATS pass the position of the message they are handling, so a
    redelivered message is recognised (`is_processed`) and a concurrent duplicate
    fails the insert instead of doubling anything.
    """

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        self.recorder: ProcessRecorder
        # Called after each commit (on the committing thread): followers of the log wake.
        self.committed: list[Callable[[], None]] = []
        # Called with what was stored (the events as committed, not read back), once the
        # recent log holds it and before the followers wake.
        self.recorded: list[Callable[[Sequence[Recording[Any]]], None]] = []
        self.recent = RecentLog()
        self.sole_writer = self.env.get(SOLE_WRITER_ENV) == "y"
        self._stored_after = select_after(self.recorder)
        if isinstance(self.mapper, ShreddingMapper):
            self.mapper.keys.forgotten.append(self.recent.clear)
        self._batch: tuple[int, ProcessingEvent[Any]] | None = None
        self._absent: tuple[int, frozenset[uuid.UUID]] = (0, frozenset())
        self._own_writes = False
        # What caused each stored event, for the relay's spans (switchboard/tracing.py).
        self.causes = tracing.CausalLog()
        self.trace_name = self.name.lower().removesuffix("application")

    def construct_repository(self) -> Repository[Any]:
        repository = super().construct_repository()
        get = repository.get

        def get_unless_absent(aggregate_id: Any, **kwargs: Any) -> Any:
            thread, absent = self._absent
            if thread == threading.get_ident() and not kwargs:
                written = self.batch_writes()
                if aggregate_id in written:
                    # A copy: a command that fails after changing it must not change it
                    # for the next one (the batch then fails whole anyway).
                    return copy.deepcopy(written[aggregate_id])
                if aggregate_id in absent:
                    raise AggregateNotFoundError(aggregate_id)
            return get(aggregate_id, **kwargs)

        repository.get = get_unless_absent  # type: ignore[method-assign]
        return repository

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    def notifications_after(self, start: int, limit: int) -> Sequence[Notification]:
        """The log after id `start`: what this process just stored from memory, else from
        the store."""
        kept = self.kept_after(start, limit)
        return kept if kept is not None else self._stored_after(start, limit)

    def kept_after(self, start: int, limit: int) -> Sequence[Notification] | None:
        """The log after id `start` from memory only: None when its next is not kept.
        Nothing when `start` is the last this process stored and no other process writes
        the store: routing's board looked for other replicas' writes before each decision,
        and every follower after each wake, with a read of the store (BEGIN, SELECT,
        ROLLBACK on the store's thread) that under `up` could only come back empty."""
        kept = self.recent.after(start, limit)
        if kept is None and self.sole_writer and self.recent.ends_at(start):
            return []
        return kept

    def decoded(self, notification: Notification) -> Any:
        """A notification's domain event: as committed when this process stored it lately
        (read, never changed: every follower shares it), else decoded."""
        event = self.recent.event(notification)
        return event if event is not None else self.mapper.to_domain_event(notification)

    def is_processed(self, tracking: Tracking) -> bool:
        return self.recorder.has_tracking_id(tracking.application_name, tracking.notification_id)

    @contextmanager
    def batch(self, expect: Collection[uuid.UUID] = (), own_writes: bool = False) -> Iterator[None]:
        """Every commit inside becomes part of one transaction, recorded when the block
        ends, with the highest tracking position given (the batch's last message); an
        exception inside records nothing. Commands inside read the store as it was before
        the batch: two that change the same aggregate both write its next version, and the
        store refuses the batch (IntegrityError), as it would two replicas racing.
        `expect`: ids the commands will read that may not exist yet; those found absent in
        one query read as absent without the store (switchboard/known_absent.py). Another
        writer creating one meanwhile is refused at the commit, as above.
        `own_writes`: commands read the aggregates earlier ones in the batch changed, as
        if each had been committed (events about one customer in a row). Projections and
        boards still show the store as it was before the batch: commands that decide from
        one read it through `batch_writes` first, or must not join such a batch."""
        # Asked before the batch opens: if the store is away, no batch is left open to
        # collect (and drop) the commits of the commands that come after it.
        absent = absent_ids(self.recorder, expect)
        batch: ProcessingEvent[Any] = Collected()
        # Only this thread's commits join it: another thread's command is its own.
        self._batch = (threading.get_ident(), batch)
        self._absent = (threading.get_ident(), absent)
        self._own_writes = own_writes
        try:
            yield
            self.batch_ending()
        finally:
            self._batch = None
            self._absent = (0, frozenset())
            self._own_writes = False
        self._store(batch)

    def batch_ending(self) -> None:
        """Called as a batch's commands are done, before it is stored (the batch still open);
        an exception records nothing. For writes gathered over the batch that must be made
        before its tracking record is."""

    def open_batch(self) -> ProcessingEvent[Any] | None:
        """This thread's open batch (also a token: the same object until the batch ends)."""
        batch = getattr(self, "_batch", None)
        return batch[1] if batch is not None and batch[0] == threading.get_ident() else None

    def batch_writes(self) -> Mapping[uuid.UUID, Any]:
        """What earlier commands of this thread's `own_writes` batch changed, as it stands
        (for read models that only catch up once the batch is stored); else nothing."""
        batch = self.open_batch()
        return batch.aggregates if batch is not None and self._own_writes else {}

    def commit(self, *objs: Any, tracking: Tracking | None = None) -> None:
        batch = self.open_batch()
        if batch is not None:
            first = len(batch.events)
            batch.collect_events(*objs)
            self.causes.collected(batch, first)
            if tracking is not None and (
                batch.tracking is None or tracking.notification_id > batch.tracking.notification_id
            ):
                batch.tracking = tracking
            return
        processing_event: ProcessingEvent[Any] = Collected(tracking=tracking)
        processing_event.collect_events(*objs)
        self.causes.collected(processing_event, 0)
        self._store(processing_event)

    def _store(self, processing_event: ProcessingEvent[Any]) -> None:
        with tracing.committing(self.trace_name, self.causes.causes(processing_event)):
            if isinstance(self.mapper, ShreddingMapper):
                self.mapper.prepare(processing_event.events)
            recordings = self._record(processing_event)
        # Kept before anything else may fail: memory must never end short of the store
        # while it says it ends where the store does (kept_after).
        self.recent.add(recordings)
        self.causes.recorded(processing_event, recordings)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        for take in self.recorded:
            take(recordings)
        for listener in self.committed:
            listener()

    def ping(self) -> int:
        return self.recorder.max_notification_id() or 0
