"""History's HTTP API: find a customer, read their card and timeline."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from schemas.api import CustomerView, TimelineEntry
from schemas.identity import InvalidIdentity, normalize_email, normalize_phone
from services.history.application import CustomerNotFound, HistoryApplication
from services.history.timeline import TimelineView
from switchboard.auth import STAFF, Authenticator
from switchboard.serial import SerialExecutor


def history_router(
    app: HistoryApplication,
    view: TimelineView,
    run: SerialExecutor,
    view_run: SerialExecutor,
    default_region: str,
    auth: Authenticator,
) -> APIRouter:
    # Staff see every customer (whoever calls may be anyone's customer); an integrator's
    # CRM reads them too.
    router = APIRouter(
        prefix="/api/customers",
        tags=["history"],
        dependencies=[Depends(auth.role(*STAFF, "integrator"))],
    )

    @router.get("", response_model=list[CustomerView])
    async def search(
        email: str | None = None,
        phone: str | None = None,
        handle: Annotated[
            str | None,
            Query(
                pattern=r"^[a-z][a-z0-9_]*:.+$",
                description="a namespaced messenger identity, e.g. telegram:12345",
            ),
        ] = None,
    ) -> list[CustomerView]:
        wanted: list[str] = [handle] if handle else []
        try:
            if email:
                wanted.append(f"email:{normalize_email(email)}")
            if phone:
                wanted.append(f"phone:{normalize_phone(phone, default_region)}")
        except InvalidIdentity as exc:
            raise HTTPException(400, str(exc)) from exc
        if not wanted:
            raise HTTPException(400, "give email, phone or handle")
        found: dict[uuid.UUID, CustomerView] = {}
        for identity in wanted:
            card = await run(app.find, identity)
            if card is not None:
                found[card.customer_id] = card
        return list(found.values())

    @router.get("/{customer_id}", response_model=CustomerView)
    async def card(customer_id: uuid.UUID) -> CustomerView:
        try:
            return await run(app.card, customer_id)
        except CustomerNotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    @router.get("/{customer_id}/timeline", response_model=list[TimelineEntry])
    async def timeline(
        customer_id: uuid.UUID,
        # Positions are 64-bit in both stores: a larger cursor is a 400, not a 500.
        before: Annotated[
            int | None, Query(ge=1, le=2**63 - 1, description="position cursor")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        channel: str | None = None,
    ) -> list[TimelineEntry]:
        """Newest first; pass the last entry's position as `before` for the next page."""
        rows = await view_run(view.rows, customer_id, before, limit, channel)
        return [
            TimelineEntry(
                position=r.position,
                at=r.at,
                kind=r.kind,
                channel=r.channel,
                contact_id=r.contact_id,
                summary=r.summary,
                data=r.data,
            )
            for r in rows
        ]

    return router
