"""The customer's status page API: their request's reference and where it stands, for the
holder of a signed status link (no sign-in; a bad or altered token is simply not found)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from services.routing.application import NotFound, RoutingApplication
from services.sla.acknowledgment import reference
from switchboard.serial import SerialExecutor
from switchboard.status_links import StatusLinks

STAGES = ("received", "assigned", "waiting_on_you", "resolved")


class RequestStatus(BaseModel):
    reference: str
    stage: str  # one of `stages`
    stages: list[str]
    channel: str
    since: datetime | None


def stage_of(status: str, conversation: str | None) -> str:
    if status in ("completed", "cancelled", "abandoned"):
        return "resolved"
    if status == "accepted":
        return "waiting_on_you" if conversation == "pending" else "assigned"
    return "received"


def status_router(app: RoutingApplication, run: SerialExecutor, links: StatusLinks) -> APIRouter:
    router = APIRouter(prefix="/api/status", tags=["status"])

    @router.get("/{token}", response_model=RequestStatus)
    async def request_status(token: str) -> RequestStatus:
        contact_id = links.contact_of(token)
        if contact_id is None:
            raise HTTPException(404, "no such request")
        try:
            view = await run(app.contact, contact_id)
        except NotFound:
            raise HTTPException(404, "no such request") from None
        return RequestStatus(
            reference=reference(contact_id),
            stage=stage_of(view.status, view.conversation),
            stages=list(STAGES),
            channel=view.channel,
            since=view.last_message_at,
        )

    return router
