"""Routing's HTTP API: what agents do with their offers and contacts, and what supervisors
do with escalations and queues."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, HTTPException, Query

from schemas.api import (
    AgentStatusRequest,
    AgentView,
    AssignRequest,
    CancelRequest,
    CompleteRequest,
    ContactView,
    MessageView,
    OfferView,
    QueueView,
    ReplyAccepted,
    ReplyRequest,
    RoutingDecision,
    SnoozeRequest,
    TransferRequest,
)
from schemas.request_types import RequestTypeChange
from services.routing.application import NotFound, NotYours, RoutingApplication
from services.routing.contact import ContactError, InvalidRequest
from services.routing.views import contact_view, queue_view
from switchboard.auth import STAFF, SUPERVISORS, Authenticator, Principal
from switchboard.errors import BadInput, Forbidden
from switchboard.scopes import queue_supervisors, token_scopes
from switchboard.serial import SerialExecutor

T = TypeVar("T")


def routing_router(
    app: RoutingApplication,
    run: SerialExecutor,
    heartbeat: Callable[[str], Awaitable[None]],
    auth: Authenticator,
) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["routing"])
    # Defaults rather than Annotated aliases: postponed annotations cannot see locals.
    staff = Depends(auth.role(*STAFF))
    reader = Depends(auth.role(*STAFF, "integrator"))
    supervisor = Depends(auth.role(*SUPERVISORS))

    def acting(principal: Principal) -> str | None:
        """Who must hold the offer or contact: the caller, unless an admin steps in."""
        return None if principal.role == "admin" else principal.id

    async def command(call: Callable[[], T]) -> T:
        # Another replica may change the same aggregate between our read and write;
        # the version check rejects our write and we decide again on fresh state.
        for _attempt in range(5):
            try:
                result = await run(call)
            except NotFound as exc:
                raise HTTPException(404, str(exc)) from exc
            except InvalidRequest as exc:
                raise BadInput.field(exc.field, exc.problem) from exc
            except ContactError as exc:
                raise HTTPException(409, str(exc)) from exc
            except NotYours as exc:
                raise Forbidden(str(exc)) from exc
            except IntegrityError:
                continue
            return result
        raise HTTPException(409, "conflicting concurrent change, try again")

    async def query(call: Callable[[], T]) -> T:
        try:
            return await run(call)
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    def person(agent_id: str) -> str:
        if agent_id not in app.people:
            raise HTTPException(404, f"agent {agent_id!r} not found")
        return agent_id

    supervising = queue_supervisors(auth.config)

    def queue_supervisor(contact_id: uuid.UUID) -> set[str]:
        queue = app.view().contact(contact_id).queue
        return {supervising[queue]} if queue in supervising else set()

    async def may_see_contact(principal: Principal, contact_id: uuid.UUID) -> None:
        """An agent: contacts offered to them or held; a supervisor: their subtree's and
        their queues'; an integrator: by its token's scope; an admin: all."""
        if principal.role == "admin":
            return
        if principal.role == "integrator":
            if "contacts" in token_scopes(auth.config, principal):
                return
            raise Forbidden(f"the token {principal.id} has no contacts scope")
        people = await query(lambda: app.involved(contact_id))
        if principal.role == "supervisor":
            people |= await query(lambda: queue_supervisor(contact_id))
        if not any(auth.manages(principal, p) for p in people):
            raise Forbidden(f"contact {contact_id} was never offered to {principal.id}")

    @router.get("/agents", response_model=list[AgentView])
    async def list_agents(_: Principal = staff) -> list[AgentView]:
        return await run(app.agents)

    @router.post("/agents/{agent_id}/status", response_model=AgentView)
    async def set_status(
        agent_id: str, body: AgentStatusRequest, principal: Principal = staff
    ) -> AgentView:
        """An agent sets their own status; a supervisor may set that of anyone below them."""
        auth.require_manages(principal, person(agent_id))
        return await command(lambda: app.set_status(agent_id, body.status))

    @router.post("/agents/{agent_id}/ready", response_model=AgentView)
    async def ready(agent_id: str, principal: Principal = staff) -> AgentView:
        """The agent ends their after-contact work (wrap-up) before its time is up."""
        auth.require_manages(principal, person(agent_id))
        return await command(lambda: app.ready(agent_id))

    @router.post("/agents/{agent_id}/heartbeat", status_code=204)
    async def beat(agent_id: str, principal: Principal = staff) -> None:
        """The desk is open. Without one within heartbeat_timeout_seconds the agent goes
        offline, their offers go back to the queue and their contacts to their supervisor."""
        auth.require_manages(principal, person(agent_id))
        await heartbeat(agent_id)

    @router.get("/agents/{agent_id}/offers", response_model=list[OfferView])
    async def offers(agent_id: str, principal: Principal = staff) -> list[OfferView]:
        auth.require_manages(principal, person(agent_id))
        return await query(lambda: app.offers_for(agent_id))

    @router.get("/agents/{agent_id}/contacts", response_model=list[ContactView])
    async def held(agent_id: str, principal: Principal = staff) -> list[ContactView]:
        """The contacts the agent has accepted and not completed yet."""
        auth.require_manages(principal, person(agent_id))
        return await query(lambda: app.contacts_of(agent_id))

    @router.post("/offers/{offer_id}/accept", response_model=ContactView)
    async def accept(offer_id: uuid.UUID, principal: Principal = staff) -> ContactView:
        return await command(lambda: app.accept(offer_id, acting(principal)))

    @router.post("/offers/{offer_id}/decline", response_model=ContactView)
    async def decline(offer_id: uuid.UUID, principal: Principal = staff) -> ContactView:
        return await command(lambda: app.decline(offer_id, acting(principal)))

    @router.post("/contacts/{contact_id}/complete", response_model=ContactView)
    async def complete(
        contact_id: uuid.UUID, body: CompleteRequest, principal: Principal = staff
    ) -> ContactView:
        return await command(lambda: app.complete(contact_id, body.disposition, acting(principal)))

    @router.post("/contacts/{contact_id}/resolve", response_model=ContactView)
    async def resolve(
        contact_id: uuid.UUID, body: CompleteRequest | None = None, principal: Principal = staff
    ) -> ContactView:
        """Resolves the conversation: the same as complete (the disposition defaults to
        "resolved"). A customer message within the channel's reopen window reopens it."""
        disposition = (body or CompleteRequest()).disposition
        return await command(lambda: app.complete(contact_id, disposition, acting(principal)))

    @router.post("/contacts/{contact_id}/pending", response_model=ContactView)
    async def pending(contact_id: uuid.UUID, principal: Principal = staff) -> ContactView:
        """The holder waits on the customer: it takes none of their capacity meanwhile, their
        next message opens it again, and unanswered it resolves itself after the channel's
        pending_resolve_seconds."""
        done = await command(lambda: app.set_pending(contact_id, acting(principal)))
        return contact_view(done)

    @router.get("/request-types", response_model=list[str])
    async def request_types(principal: Principal = staff) -> list[str]:
        """The configured request types, in the order their rules are tried."""
        return [t.name for t in app.config.request_types]

    @router.post("/contacts/{contact_id}/request-type", response_model=ContactView)
    async def request_type(
        contact_id: uuid.UUID, body: RequestTypeChange, principal: Principal = staff
    ) -> ContactView:
        """The holder says what the contact is about: one of routing.request_types, or null."""
        done = await command(
            lambda: app.change_request_type(contact_id, body.request_type, acting(principal))
        )
        return contact_view(done)

    @router.post("/contacts/{contact_id}/snooze", response_model=ContactView)
    async def snooze(
        contact_id: uuid.UUID, body: SnoozeRequest, principal: Principal = staff
    ) -> ContactView:
        """Out of the holder's way until `until` (in the future), or the customer's next
        message, whichever comes first."""
        until = body.until
        if until.tzinfo is None:
            raise BadInput.field("until", "needs a time zone (e.g. Z or +01:00)")
        done = await command(lambda: app.snooze(contact_id, until, acting(principal)))
        return contact_view(done)

    @router.post("/contacts/{contact_id}/resume", response_model=ContactView)
    async def resume(contact_id: uuid.UUID, principal: Principal = staff) -> ContactView:
        """The holder takes a pending or snoozed conversation up again."""
        done = await command(lambda: app.resume(contact_id, acting(principal)))
        return contact_view(done)

    @router.post("/contacts/{contact_id}/read", response_model=ContactView)
    async def read(contact_id: uuid.UUID, principal: Principal = staff) -> ContactView:
        """The holder has read the customer's messages: unread goes to 0."""
        done = await command(lambda: app.mark_read(contact_id, acting(principal)))
        return contact_view(done)

    @router.get("/contacts/{contact_id}/messages", response_model=list[MessageView])
    async def messages(
        contact_id: uuid.UUID,
        before: int | None = Query(default=None, ge=1, le=2**62),
        limit: int = Query(default=50, ge=1, le=200),
        principal: Principal = reader,
    ) -> list[MessageView]:
        """The conversation's transcript, both ways, oldest first: the latest `limit`
        messages, or those before the message whose `seq` is `before`."""
        await may_see_contact(principal, contact_id)
        return await query(lambda: app.transcript(contact_id, before, limit))

    @router.post("/contacts/{contact_id}/replies", status_code=202, response_model=ReplyAccepted)
    async def reply(
        contact_id: uuid.UUID, body: ReplyRequest, principal: Principal = staff
    ) -> ReplyAccepted:
        """Queues the agent's answer; it goes out through the customer's channel."""
        reply_id = await command(lambda: app.reply(contact_id, body.text, acting(principal)))
        return ReplyAccepted(reply_id=reply_id)

    @router.post("/contacts/{contact_id}/transfer", response_model=ContactView)
    async def transfer(
        contact_id: uuid.UUID, body: TransferRequest, principal: Principal = staff
    ) -> ContactView:
        """The agent holding the contact passes it on (as often as it takes): to a queue,
        where it waits at its original age, or to an agent free to take it (409 if not).
        The customer's account owner may take it over: `agent_id` = themselves."""
        return await command(
            lambda: app.transfer(
                contact_id, acting(principal), body.queue, body.agent_id, body.reason
            )
        )

    @router.post("/contacts/{contact_id}/cancel", response_model=ContactView)
    async def cancel(
        contact_id: uuid.UUID, body: CancelRequest, principal: Principal = supervisor
    ) -> ContactView:
        """A supervisor closes a contact nobody should take (spam, a duplicate)."""
        return await command(lambda: app.cancel(contact_id, principal.id, body.reason))

    @router.post("/contacts/{contact_id}/assign", response_model=ContactView)
    async def assign(
        contact_id: uuid.UUID, body: AssignRequest, principal: Principal = supervisor
    ) -> ContactView:
        """A supervisor hands a waiting or offered contact to an agent below them who is
        available with free capacity (409 otherwise); a pending offer is withdrawn."""
        auth.require_manages(principal, person(body.agent_id))
        return await command(lambda: app.assign(contact_id, body.agent_id, principal.id))

    @router.post("/contacts/{contact_id}/requeue", response_model=ContactView)
    async def requeue(contact_id: uuid.UUID, principal: Principal = supervisor) -> ContactView:
        """Back to its queue at its original age; the ladder starts over."""
        return await command(lambda: app.requeue(contact_id, principal.id))

    @router.get("/contacts/{contact_id}/routing", response_model=list[RoutingDecision])
    async def routing(
        contact_id: uuid.UUID, principal: Principal = reader
    ) -> list[RoutingDecision]:
        """Every routing decision on the contact: who was considered and why each was skipped."""
        await may_see_contact(principal, contact_id)
        return await query(lambda: app.decisions(contact_id))

    @router.get("/contacts/{contact_id}", response_model=ContactView)
    async def contact(contact_id: uuid.UUID, principal: Principal = reader) -> ContactView:
        await may_see_contact(principal, contact_id)
        return await query(lambda: app.contact(contact_id))

    @router.get("/queues", response_model=list[QueueView])
    async def queues(_: Principal = staff) -> list[QueueView]:
        waiting = await run(app.waiting_counts)
        return [queue_view(q, waiting.get(q.name, 0)) for q in app.plan.queues]

    return router
