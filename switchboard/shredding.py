"""Crypto-shredding: personal data is stored encrypted with a key of its own owner (a
customer in history, a contact in routing), so destroying the key erases it from the event
store, snapshots included, without rewriting history.

The mapper encrypts the stored state of every event that `owner_of` names an owner for,
with AES-GCM under that owner's key, the owner's id bound in as associated data. Reading an
event whose key was destroyed yields an `ErasedPersonalData` placeholder: projections and
outboxes skip it, and rebuilding the aggregate from it fails with `PersonalDataErased`.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

MAGIC = b"SBPD1"  # Switchboard personal data, format 1: MAGIC | owner id | nonce | sealed
_OWNER_END = len(MAGIC) + 16
_NONCE_END = _OWNER_END + 12


class PersonalDataErased(LookupError):
    def __init__(self, owner_id: uuid.UUID) -> None:
        super().__init__(f"the personal data of {owner_id} was erased")
        self.owner_id = owner_id


class KeyTable(Protocol):
    """Where keys are kept: a table beside the event store, one row per owner, with the
    customer the owner's data is about (the owner itself, or a customer it was linked to)."""

    def load(self, owner_id: uuid.UUID) -> tuple[bytes | None] | None:
        """None: no row; (None,): the key was destroyed."""
        ...

    def insert(self, owner_id: uuid.UUID, key: bytes) -> None: ...  # keeps an existing row
    def load_many(self, owner_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bytes | None]:
        """The rows found (a destroyed key: None); owners without a row are left out."""
        ...

    def insert_many(self, keys: Mapping[uuid.UUID, bytes]) -> None:
        """Inserts in one transaction, keeping existing rows."""
        ...

    def destroy(self, owner_ids: Iterable[uuid.UUID]) -> None: ...
    def link(self, links: Mapping[uuid.UUID, uuid.UUID]) -> None:
        """Owner -> customer, in one transaction; an owner without a row is left out."""
        ...

    def owners_of(self, customer_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]: ...


class MemoryKeyTable:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, bytes | None] = {}
        self.customers: dict[uuid.UUID, uuid.UUID] = {}

    def load(self, owner_id: uuid.UUID) -> tuple[bytes | None] | None:
        return (self.rows[owner_id],) if owner_id in self.rows else None

    def insert(self, owner_id: uuid.UUID, key: bytes) -> None:
        self.rows.setdefault(owner_id, key)

    def load_many(self, owner_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bytes | None]:
        return {o: self.rows[o] for o in owner_ids if o in self.rows}

    def insert_many(self, keys: Mapping[uuid.UUID, bytes]) -> None:
        for owner, key in keys.items():
            self.rows.setdefault(owner, key)

    def destroy(self, owner_ids: Iterable[uuid.UUID]) -> None:
        for owner in owner_ids:
            self.rows[owner] = None

    def link(self, links: Mapping[uuid.UUID, uuid.UUID]) -> None:
        self.customers.update((o, c) for o, c in links.items() if o in self.rows)

    def owners_of(self, customer_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
        wanted = set(customer_ids)
        return [o for o, c in self.customers.items() if c in wanted]


class KeyRing:
    """Keys by owner, with a bounded cache (projections decrypt every event).

    A cached key outlives its destruction only in a process that has not yet read the
    trace of the erasure; there the aggregate itself says it is erased."""

    def __init__(self, table: KeyTable, cache_size: int = 10_000) -> None:
        self.table = table
        self._cache: OrderedDict[uuid.UUID, bytes] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()
        # Told when a key is dropped (destroyed here, or its erasure read): what holds
        # events in the clear must let go of them too (switchboard/recent_log.py).
        self.forgotten: list[Callable[[], None]] = []

    def key(self, owner_id: uuid.UUID, create: bool) -> bytes | None:
        with self._lock:
            if owner_id in self._cache:
                self._cache.move_to_end(owner_id)
                return self._cache[owner_id]
        row = self.table.load(owner_id)
        if row is None and create:
            self.table.insert(owner_id, AESGCM.generate_key(256))
            row = self.table.load(owner_id)  # another replica may have won the insert
        if row is None or row[0] is None:
            return None
        with self._lock:
            self._cache[owner_id] = row[0]
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return row[0]

    def prepare(self, owner_ids: Iterable[uuid.UUID]) -> None:
        """Creates the keys a commit will need in one transaction, not one each: a batch of
        new contacts would otherwise commit (and on PostgreSQL round-trip) once per owner
        before its events. Reads back what was inserted, since another replica may have won
        an insert; a destroyed key stays uncached, so `key` refuses it as before."""
        with self._lock:
            wanted = list(dict.fromkeys(o for o in owner_ids if o not in self._cache))
        if not wanted:
            return
        rows = self.table.load_many(wanted)
        missing = [o for o in wanted if o not in rows]
        if missing:
            self.table.insert_many({o: AESGCM.generate_key(256) for o in missing})
            rows.update(self.table.load_many(missing))
        with self._lock:
            for owner, key in rows.items():
                if key is not None:
                    self._cache[owner] = key
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)

    def link(self, owner_id: uuid.UUID, customer_id: uuid.UUID) -> None:
        """Records whose data the owner's is. The owner's row is made first: inside a batch
        (and when history names a contact before it opens) its events, and so its key,
        are not stored yet, and linking no row would lose the link an erasure looks up."""
        self.link_many({owner_id: customer_id})

    def link_many(self, links: Mapping[uuid.UUID, uuid.UUID]) -> None:
        """`link` for many owners: their rows made in one transaction, linked in one."""
        if links:
            self.prepare(links)
            self.table.link(links)

    def forget(self, owner_id: uuid.UUID) -> None:
        with self._lock:
            self._cache.pop(owner_id, None)
        for listener in self.forgotten:
            listener()

    def destroy(self, owner_ids: Iterable[uuid.UUID]) -> None:
        owners = list(owner_ids)
        self.table.destroy(owners)
        for owner in owners:
            self.forget(owner)


@dataclass(frozen=True)
class ErasedPersonalData:
    """What a stored event reads as once its owner's key is gone."""

    originator_id: uuid.UUID
    originator_version: int
    topic: str

    def mutate(self, aggregate: Any) -> Any:
        raise PersonalDataErased(self.originator_id)


class ShreddingMapper(Mapper[uuid.UUID]):
    """`owner_of(domain_event)`: whose key encrypts it, or None to store it in the clear.
    `trace_topic`: the topic of the (clear) event that records an erasure; reading it drops
    the owner's cached key."""

    def __init__(
        self,
        transcoder: Transcoder,
        keys: KeyRing,
        owner_of: Callable[[Any], uuid.UUID | None],
        trace_topic: str | None = None,
    ) -> None:
        super().__init__(transcoder)
        self.keys = keys
        self.owner_of = owner_of
        self.trace_topic = trace_topic

    def prepare(self, domain_events: Iterable[Any]) -> None:
        """Creates the keys of a commit's owners at once (KeyRing.prepare)."""
        self.keys.prepare(o for o in map(self.owner_of, domain_events) if o is not None)

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        owner = self.owner_of(domain_event)
        if owner is None:
            return stored
        key = self.keys.key(owner, create=True)
        if key is None:
            raise PersonalDataErased(owner)
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, stored.state, owner.bytes)
        return replace(stored, state=MAGIC + owner.bytes + nonce + sealed)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        state = stored_event.state
        if state.startswith(MAGIC):
            owner = uuid.UUID(bytes=state[len(MAGIC) : _OWNER_END])
            key = self.keys.key(owner, create=False)
            if key is None:
                return ErasedPersonalData(
                    uuid.UUID(str(stored_event.originator_id)),
                    stored_event.originator_version,
                    stored_event.topic,
                )
            plain = AESGCM(key).decrypt(
                state[_OWNER_END:_NONCE_END], state[_NONCE_END:], owner.bytes
            )
            stored_event = replace(stored_event, state=plain)
        elif stored_event.topic == self.trace_topic:
            self.keys.forget(uuid.UUID(str(stored_event.originator_id)))
        return super().to_domain_event(stored_event)


def open_key_table(factory: Any, table: str) -> KeyTable:
    """The key table in the keys' own database when one is configured, else beside the
    application's store (in memory for the popo store)."""
    from eventsourcing.postgres import PostgresFactory
    from eventsourcing.sqlite import SQLiteFactory

    from switchboard.store import KEYS_DATABASE_ENV

    keys_url = factory.env.get(KEYS_DATABASE_ENV)
    if keys_url:
        from switchboard.key_tables import PostgresKeyTable, postgres_datastore

        return PostgresKeyTable(postgres_datastore(keys_url), table)
    if isinstance(factory, PostgresFactory):
        from switchboard.key_tables import PostgresKeyTable

        return PostgresKeyTable(factory.datastore, table)
    if isinstance(factory, SQLiteFactory):
        from switchboard.key_tables import SQLiteKeyTable

        return SQLiteKeyTable(factory.datastore, table)
    return MemoryKeyTable()
