"""The audit trail of staff reads: who read which customer's card or timeline, when.

An append-only table of its own (not a projection: nothing derives it, so a rebuild of the
read model must never touch it), written before the read is answered: no read goes out
unrecorded. It keeps ids only (the reader, the customer's random id), no personal data, so
it outlives an erasure without undoing it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from events.base import utcnow
from switchboard.auth import Principal
from switchboard.serial import SerialExecutor

# "refused": a read out of the caller's scope, answered 403 (who probes is worth knowing).
Read = Literal["card", "timeline", "search", "accounts", "refused"]


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    person: str
    role: str
    customer_id: uuid.UUID
    what: str


@dataclass(frozen=True)
class AuditEntry(AuditRecord):
    seq: int  # in append order: the paging cursor


@dataclass(frozen=True)
class AuditQuery:
    person: str | None = None
    customer_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None
    limit: int = 100


class AuditLog(Protocol):
    def append(self, records: Sequence[AuditRecord]) -> None: ...
    def select(self, query: AuditQuery) -> list[AuditEntry]: ...
    def close(self) -> None: ...


class Auditor:
    """Records reads, one thread for the log."""

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self.run = SerialExecutor("audit")

    async def read(self, principal: Principal, what: Read, customers: Iterable[uuid.UUID]) -> None:
        at = utcnow()
        records = [AuditRecord(at, principal.id, principal.role, c, what) for c in customers]
        if records:
            await self.run(self.log.append, records)

    async def select(self, query: AuditQuery) -> list[AuditEntry]:
        return await self.run(self.log.select, query)

    def close(self) -> None:
        self.run.shutdown()
        self.log.close()
