"""Routing's HTTP API: what agents do with their offers and contacts."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, HTTPException

from schemas.api import (
    AgentStatusRequest,
    AgentView,
    CompleteRequest,
    ContactView,
    OfferView,
    ReplyAccepted,
    ReplyRequest,
    RoutingDecision,
)
from services.routing.application import NotFound, RoutingApplication
from services.routing.contact import ContactError
from switchboard.serial import SerialExecutor

T = TypeVar("T")


def routing_router(
    app: RoutingApplication,
    run: SerialExecutor,
    after_change: Callable[[], None],
    heartbeat: Callable[[str], Awaitable[None]],
) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["routing"])

    async def command(call: Callable[[], T]) -> T:
        # Another replica may change the same aggregate between our read and write;
        # the version check rejects our write and we decide again on fresh state.
        for _attempt in range(5):
            try:
                result = await run(call)
            except NotFound as exc:
                raise HTTPException(404, str(exc)) from exc
            except ContactError as exc:
                raise HTTPException(409, str(exc)) from exc
            except IntegrityError:
                continue
            after_change()
            return result
        raise HTTPException(409, "conflicting concurrent change, try again")

    async def query(call: Callable[[], Awaitable[T]] | Callable[[], T]) -> T:
        try:
            return await run(call)  # type: ignore[arg-type]
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    @router.get("/agents", response_model=list[AgentView])
    async def list_agents() -> list[AgentView]:
        return await run(app.agents)

    @router.post("/agents/{agent_id}/status", response_model=AgentView)
    async def set_status(agent_id: str, body: AgentStatusRequest) -> AgentView:
        return await command(lambda: app.set_status(agent_id, body.status))

    @router.post("/agents/{agent_id}/heartbeat", status_code=204)
    async def beat(agent_id: str) -> None:
        """The desk is open. Without one within heartbeat_timeout_seconds the agent goes
        offline, their offers go back to the queue and their contacts to their supervisor."""
        if agent_id not in app.people:
            raise HTTPException(404, f"agent {agent_id!r} not found")
        await heartbeat(agent_id)

    @router.get("/agents/{agent_id}/offers", response_model=list[OfferView])
    async def offers(agent_id: str) -> list[OfferView]:
        return await query(lambda: app.offers_for(agent_id))

    @router.post("/offers/{offer_id}/accept", response_model=ContactView)
    async def accept(offer_id: uuid.UUID) -> ContactView:
        return await command(lambda: app.accept(offer_id))

    @router.post("/offers/{offer_id}/decline", response_model=ContactView)
    async def decline(offer_id: uuid.UUID) -> ContactView:
        return await command(lambda: app.decline(offer_id))

    @router.post("/contacts/{contact_id}/complete", response_model=ContactView)
    async def complete(contact_id: uuid.UUID, body: CompleteRequest) -> ContactView:
        return await command(lambda: app.complete(contact_id, body.disposition))

    @router.post("/contacts/{contact_id}/replies", status_code=202, response_model=ReplyAccepted)
    async def reply(contact_id: uuid.UUID, body: ReplyRequest) -> ReplyAccepted:
        """Queues the agent's answer; it goes out through the customer's channel."""
        reply_id = await command(lambda: app.reply(contact_id, body.text))
        return ReplyAccepted(reply_id=reply_id)

    @router.get("/contacts/{contact_id}/routing", response_model=list[RoutingDecision])
    async def routing(contact_id: uuid.UUID) -> list[RoutingDecision]:
        """Every routing decision on the contact: who was considered and why each was skipped."""
        return await query(lambda: app.decisions(contact_id))

    @router.get("/contacts/{contact_id}", response_model=ContactView)
    async def contact(contact_id: uuid.UUID) -> ContactView:
        return await query(lambda: app.contact(contact_id))

    return router
