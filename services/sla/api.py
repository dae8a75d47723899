"""The SLA service's HTTP API: a contact's deadlines, for the holder's countdown and for
whoever manages the holder (a contact nobody holds: supervisors)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException

from schemas.sla_api import SlaBoardRow, SlaView
from services.sla.application import SlaApplication
from services.sla.board import SlaBoard
from switchboard.auth import STAFF, SUPERVISORS, Authenticator, Principal
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


def sla_router(
    app: SlaApplication, board: SlaBoard, run: SerialExecutor, auth: Authenticator
) -> APIRouter:
    router = APIRouter(prefix="/api/sla", tags=["sla"])
    staff = Depends(auth.role(*STAFF))
    supervisor = Depends(auth.role(*SUPERVISORS))

    @router.get("/board", response_model=list[SlaBoardRow])
    async def sla_board(principal: Principal = supervisor) -> list[SlaBoardRow]:
        """Contacts at risk or in breach: of the people the caller manages, and nobody's."""
        rows = await run(board.troubled)
        return [r for r in rows if r.holder_id is None or auth.manages(principal, r.holder_id)]

    @router.get("/agents/{agent_id}", response_model=list[SlaView])
    async def agent_sla(agent_id: str, principal: Principal = staff) -> list[SlaView]:
        """The SLA of each contact the agent holds: the desk's countdowns."""
        auth.require_manages(principal, agent_id)

        def views() -> list[SlaView]:
            found = (sla_view(app, c) for c in board.held_by(agent_id))
            return [v for v in found if v is not None]

        return await run(views)

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
