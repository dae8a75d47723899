"""The follow-ups API, and the consumers that keep their deadlines."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from eventsourcing.persistence import IntegrityError, Tracking
from fastapi import APIRouter, Depends, HTTPException
from faststream.nats import NatsBroker

from events import Event
from events.follow_ups import (
    FollowUpAttemptMissed,
    FollowUpDeadline,
    FollowUpOpened,
    FollowUpScheduled,
)
from schemas.follow_ups import FollowUpRequest, FollowUpView
from services.routing.contact import ContactError, InvalidRequest
from services.routing.follow_up import FollowUp, view
from services.routing.follow_ups import FollowUps
from services.routing.unit import NotFound
from switchboard.auth import STAFF, Authenticator, Principal
from switchboard.errors import BadInput
from switchboard.inbox import Inbox, subscribe
from switchboard.jetstream import EVENTS, TIMERS
from switchboard.serial import SerialExecutor
from switchboard.timers import schedule

T = TypeVar("T")


def follow_up_view(follow_up: FollowUp) -> FollowUpView:
    return FollowUpView.model_validate(view(follow_up))


def follow_up_router(follow_ups: FollowUps, run: SerialExecutor, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["follow-ups"])
    staff = Depends(auth.role(*STAFF))

    async def call(action: Callable[[], T]) -> T:
        for _attempt in range(5):
            try:
                return await run(action)
            except NotFound as exc:
                raise HTTPException(404, str(exc)) from exc
            except InvalidRequest as exc:
                raise BadInput.field(exc.field, exc.problem) from exc
            except ContactError as exc:
                raise HTTPException(409, str(exc)) from exc
            except IntegrityError:
                continue  # another replica changed the same aggregate: decide again
        raise HTTPException(409, "conflicting concurrent change, try again")

    @router.post("/contacts/{contact_id}/follow-ups", status_code=201, response_model=FollowUpView)
    async def schedule_follow_up(
        contact_id: uuid.UUID, body: FollowUpRequest, principal: Principal = staff
    ) -> FollowUpView:
        """The contact's holder (or their supervisor) promises the customer a call back or
        write back: at `due_at`, or at `local_time` in the customer's `time_zone`."""
        holder = await call(lambda: follow_ups.holder_of(contact_id))
        auth.require_manages(principal, holder)
        done = await call(
            lambda: follow_ups.schedule(
                contact_id,
                body.kind,
                body.due_at,
                body.local_time,
                body.time_zone,
                body.note,
                principal.id,
            )
        )
        return follow_up_view(done)

    @router.get("/agents/{agent_id}/follow-ups", response_model=list[FollowUpView])
    async def agent_follow_ups(agent_id: str, principal: Principal = staff) -> list[FollowUpView]:
        """The follow-ups the agent scheduled, soonest first, with what became of them."""
        auth.require_manages(principal, agent_id)
        return [follow_up_view(f) for f in await call(lambda: follow_ups.of_agent(agent_id))]

    @router.delete("/follow-ups/{follow_up_id}", response_model=FollowUpView)
    async def cancel_follow_up(
        follow_up_id: uuid.UUID, principal: Principal = staff
    ) -> FollowUpView:
        found = await call(lambda: follow_ups.get(follow_up_id))
        auth.require_manages(principal, found.agent_id)
        return follow_up_view(await call(lambda: follow_ups.cancel(follow_up_id, principal.id)))

    return router


class FollowUpHandlers:
    def __init__(self, follow_ups: FollowUps, run: SerialExecutor, broker: NatsBroker) -> None:
        self.follow_ups = follow_ups
        self.run = run
        self.broker = broker

    async def follow_up_event(self, event: Event, tracking: Tracking) -> None:
        """Schedules from the relayed events: the same event gives the same schedule, which
        replaces itself, so a redelivery needs no tracking."""
        if isinstance(event, FollowUpScheduled):
            first = FollowUpDeadline(follow_up_id=event.follow_up_id, attempt=1, phase="due")
            await self._at(first, event.due_at)
        elif isinstance(event, FollowUpOpened):
            fid, attempt = event.follow_up_id, event.attempt
            grace = FollowUpDeadline(follow_up_id=fid, attempt=attempt, phase="grace")
            await self._at(grace, event.grace_until)
            missed = FollowUpDeadline(follow_up_id=fid, attempt=attempt, phase="missed")
            await self._at(missed, event.missed_at)
        elif isinstance(event, FollowUpAttemptMissed) and event.retry_at is not None:
            attempt = event.attempt + 1
            again = FollowUpDeadline(follow_up_id=event.follow_up_id, attempt=attempt, phase="due")
            await self._at(again, event.retry_at)

    async def _at(self, deadline: FollowUpDeadline, at: datetime) -> None:
        await schedule(self.broker, deadline, at)

    async def deadline(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, FollowUpDeadline)
        if not await self.run(self.follow_ups.app.is_processed, tracking):
            await self.run(self.follow_ups.fired, event, tracking)


def subscribe_follow_ups(broker: NatsBroker, handlers: FollowUpHandlers) -> list[Inbox]:
    return [
        subscribe(
            broker,
            stream=EVENTS,
            durable="routing-follow-up-scheduler",
            subject="sb.events.routing.followup.>",
            handler=handlers.follow_up_event,
            description="Schedules follow-up attempts: due, end of grace, missed",
        ),
        subscribe(
            broker,
            stream=TIMERS,
            durable="routing-follow-up-deadlines",
            subject="sb.timers.fired.followup.>",
            handler=handlers.deadline,
            description="Opens due follow-ups to their agent, then the queue; retries missed ones",
        ),
    ]
