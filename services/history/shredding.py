"""Crypto-shredding: each customer's personal data is stored encrypted with their own key,
so destroying the key erases it from the event store, snapshots included, without
rewriting history.

The mapper encrypts the stored state of every Customer event (and snapshot) but the
`Erased` trace, with AES-GCM under the customer's key, the customer id bound in as
associated data. Reading an event whose key was destroyed yields an `ErasedPersonalData`
placeholder: projections and the outbox skip it, and rebuilding the aggregate from it
fails with `PersonalDataErased`.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

from services.history.customer import Customer

MAGIC = b"SBPD1"  # Switchboard personal data, format 1: MAGIC | customer id | nonce | sealed
_OWNER_END = len(MAGIC) + 16
_NONCE_END = _OWNER_END + 12
CUSTOMER_TOPIC_PREFIX = f"{Customer.__module__}:{Customer.__qualname__}"
ERASED_TOPIC = f"{CUSTOMER_TOPIC_PREFIX}.Erased"


class PersonalDataErased(LookupError):
    def __init__(self, customer_id: uuid.UUID) -> None:
        super().__init__(f"customer {customer_id} was erased")
        self.customer_id = customer_id


class KeyTable(Protocol):
    """Where keys are kept: a table beside the event store, one row per customer."""

    def load(self, customer_id: uuid.UUID) -> tuple[bytes | None] | None:
        """None: no row; (None,): the key was destroyed."""
        ...

    def insert(self, customer_id: uuid.UUID, key: bytes) -> None: ...  # keeps an existing row
    def destroy(self, customer_ids: list[uuid.UUID]) -> None: ...


class MemoryKeyTable:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, bytes | None] = {}

    def load(self, customer_id: uuid.UUID) -> tuple[bytes | None] | None:
        return (self.rows[customer_id],) if customer_id in self.rows else None

    def insert(self, customer_id: uuid.UUID, key: bytes) -> None:
        self.rows.setdefault(customer_id, key)

    def destroy(self, customer_ids: list[uuid.UUID]) -> None:
        for c in customer_ids:
            self.rows[c] = None


class CustomerKeys:
    """Keys by customer, with a bounded cache (the projection decrypts every event).

    A cached key outlives its destruction only in a process that has not yet read the
    `Erased` event; there the aggregate itself says it is erased and takes no command."""

    def __init__(self, table: KeyTable, cache_size: int = 10_000) -> None:
        self.table = table
        self._cache: OrderedDict[uuid.UUID, bytes] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()

    def key(self, customer_id: uuid.UUID, create: bool) -> bytes | None:
        with self._lock:
            if customer_id in self._cache:
                self._cache.move_to_end(customer_id)
                return self._cache[customer_id]
        row = self.table.load(customer_id)
        if row is None and create:
            self.table.insert(customer_id, AESGCM.generate_key(256))
            row = self.table.load(customer_id)  # another replica may have won the insert
        if row is None or row[0] is None:
            return None
        with self._lock:
            self._cache[customer_id] = row[0]
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return row[0]

    def forget(self, customer_id: uuid.UUID) -> None:
        with self._lock:
            self._cache.pop(customer_id, None)

    def destroy(self, customer_ids: list[uuid.UUID]) -> None:
        self.table.destroy(customer_ids)
        for c in customer_ids:
            self.forget(c)


@dataclass(frozen=True)
class ErasedPersonalData:
    """What a stored event reads as once its customer's key is gone."""

    originator_id: uuid.UUID
    originator_version: int
    topic: str

    def mutate(self, aggregate: Any) -> Any:
        raise PersonalDataErased(self.originator_id)


def personal_data_owner(domain_event: Any) -> Any:
    """The customer whose key encrypts this event, or None to store it in the clear."""
    if isinstance(domain_event, Snapshot):
        is_customer = domain_event.topic == CUSTOMER_TOPIC_PREFIX
    else:
        is_customer = isinstance(domain_event, Customer.Event) and not isinstance(
            domain_event,
            Customer.Erased,  # type: ignore[attr-defined]
        )
    return domain_event.originator_id if is_customer else None


class ShreddingMapper(Mapper[uuid.UUID]):
    def __init__(self, transcoder: Transcoder, keys: CustomerKeys) -> None:
        super().__init__(transcoder)
        self.keys = keys

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        owner = personal_data_owner(domain_event)
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
        elif stored_event.topic == ERASED_TOPIC:
            self.keys.forget(uuid.UUID(str(stored_event.originator_id)))
        return super().to_domain_event(stored_event)
