"""The audit trail over HTTP: who read which customer, for admins only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.history.audit import Auditor, AuditQuery
from switchboard.auth import Authenticator
from switchboard.errors import BadInput


class AuditEntryView(BaseModel):
    seq: int
    at: datetime
    person: str
    role: str
    customer_id: uuid.UUID
    what: str


def audit_router(auditor: Auditor, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["history"], dependencies=[Depends(auth.role("admin"))])

    @router.get("/api/audit", response_model=list[AuditEntryView])
    async def audit(
        # A person's or a token's id (both take this shape).
        person: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")] = None,
        customer: uuid.UUID | None = None,
        since: Annotated[datetime | None, Query(description="reads at or after")] = None,
        until: Annotated[datetime | None, Query(description="reads before")] = None,
        before: Annotated[
            int | None, Query(ge=1, le=2**63 - 1, description="seq cursor: older entries")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[AuditEntryView]:
        """Staff reads of customers' cards and timelines, newest first; pass the last
        entry's `seq` as `before` for the next page."""
        since, until = in_utc("since", since), in_utc("until", until)
        if since is not None and until is not None and until <= since:
            raise BadInput.field("until", "must be after since")
        query = AuditQuery(person, customer, since, until, before, limit)
        return [
            AuditEntryView.model_validate(e, from_attributes=True)
            for e in await auditor.select(query)
        ]

    return router


def in_utc(name: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise BadInput.field(name, "give a time zone, e.g. 2025-01-31T12:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # year 1 east of UTC, say
        raise BadInput.field(name, "out of range") from exc
