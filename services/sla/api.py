"""The SLA service's HTTP API: a contact's deadlines, for the holder's countdown and for
whoever manages the holder (a contact nobody holds: supervisors)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException

from schemas.sla_api import SlaView
from services.sla.application import SlaApplication
from switchboard.auth import STAFF, Authenticator, Principal
from switchboard.errors import Forbidden
from switchboard.serial import SerialExecutor


def sla_view(app: SlaApplication, contact_id: uuid.UUID) -> SlaView | None:
    clock = app.get(contact_id)
    if clock is None:
        return None
    return SlaView(
        contact_id=contact_id,
        policy=clock.policy,
        holder_id=clock.timeline.holder,
        deadlines=app.deadlines(contact_id),
        breaches=clock.breaches,
        paused=clock.timeline.paused_since is not None,
        resolved=clock.resolved_at is not None,
    )


def sla_router(app: SlaApplication, run: SerialExecutor, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/api/sla", tags=["sla"])
    staff = Depends(auth.role(*STAFF))

    @router.get("/contacts/{contact_id}", response_model=SlaView)
    async def contact_sla(contact_id: uuid.UUID, principal: Principal = staff) -> SlaView:
        view = await run(sla_view, app, contact_id)
        if view is None:
            raise HTTPException(404, f"no SLA applies to contact {contact_id}")
        holder = view.holder_id
        allowed = auth.manages(principal, holder) if holder else principal.role != "agent"
        if not allowed:
            raise Forbidden(f"{principal.id} may not see the SLA of contact {contact_id}")
        return view

    return router
