"""Composition of the documents module. It runs inside the history service: the card its
templates read is history's, and so is the timeline its steps land on."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from eventsourcing.persistence import Tracking
from fastapi import APIRouter
from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from events import (
    AgentStatusChanged,
    ApprovalDeadline,
    DocumentStep,
    Event,
    ReplyStatusChanged,
)
from events.base import utcnow
from schemas.api import CustomerView
from schemas.config import SwitchboardConfig
from services.documents.answers_api import answers_router
from services.documents.application import DocumentsApplication
from services.documents.approval_policy import climb
from services.documents.contracts import to_contract
from services.documents.documents_api import documents_router
from services.history.application import CustomerErasedError, HistoryApplication
from switchboard.auth import Authenticator, Principal
from switchboard.inbox import subscribe
from switchboard.jetstream import EVENTS, TIMERS
from switchboard.outbox import OutboxRelay
from switchboard.serial import SerialExecutor
from switchboard.settings import Settings
from switchboard.store import event_store_env
from switchboard.timers import schedule


@dataclass
class DocumentsParts:
    app: DocumentsApplication
    run: SerialExecutor
    relay: OutboxRelay
    routers: list[APIRouter]

    @property
    def loops(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        return [self.relay.follower.run]

    async def reply_status(self, status: ReplyStatusChanged) -> None:
        await self.run(
            self.app.record_delivery,
            status.reply_id,
            status.status,
            status.detail,
            status.occurred_at,
        )

    async def health(self) -> str:
        await self.run(self.app.ping)
        if self.relay.follower.last_error:
            return f"relay: {self.relay.follower.last_error}"
        return "ok"

    def close(self) -> None:
        self.run.shutdown()
        self.app.close()


AWAY = frozenset({"away", "offline"})


class ApprovalTimers:
    """An ask schedules its reminder and its climb (NATS message schedules, as offers'
    deadlines); a deadline that fires finds the approval moved on, or acts. An approver
    going away or offline hands their waiting steps on at once."""

    def __init__(
        self,
        app: DocumentsApplication,
        run: SerialExecutor,
        broker: NatsBroker,
        config: SwitchboardConfig,
    ) -> None:
        self.app, self.run, self.broker = app, run, broker
        self.settings = config.documents
        self.people = {p.id: p for p in config.people}

    async def step(self, event: Event, tracking: Tracking) -> None:
        if not isinstance(event, DocumentStep) or event.asked is None or not event.notify:
            return
        now = utcnow()
        for action, after in (
            ("reminder", self.settings.remind_after_seconds),
            ("climb", self.settings.climb_after_seconds),
        ):
            deadline = ApprovalDeadline(
                document_id=event.document_id,
                asked=event.asked,
                action=action,  # type: ignore[arg-type]
            )
            await schedule(self.broker, deadline, now + timedelta(seconds=after))

    async def status_changed(self, event: Event, tracking: Tracking) -> None:
        """An approver away or offline: their waiting steps go to their supervisor."""
        assert isinstance(event, AgentStatusChanged)
        if event.status not in AWAY:
            return
        person = self.people.get(event.agent_id)
        standin = person.supervisor if person is not None else None
        await self.run(self.app.approver_away, event.agent_id, event.status, standin, tracking)

    async def fired(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, ApprovalDeadline)
        approval = await self.run(self.app.approval, event.document_id)
        above = climb(approval.approvers, approval.requester, self.people) if approval else []
        await self.run(
            self.app.approval_silent, event.document_id, event.asked, event.action, above, tracking
        )


def build_documents(
    settings: Settings,
    config: SwitchboardConfig,
    broker: NatsBroker,
    js: JetStreamContext,
    auth: Authenticator,
    history: HistoryApplication,
    history_run: SerialExecutor,
    require_scope: Callable[[Principal, CustomerView], Awaitable[None]],
) -> DocumentsParts:
    app = DocumentsApplication(env=event_store_env(settings, "documents"))
    run = SerialExecutor("documents")
    relay = OutboxRelay.configured("documents", app, js, to_contract, run, settings)
    timers = ApprovalTimers(app, run, broker, config)
    subscribe(
        broker,
        stream=EVENTS,
        durable="documents-approval-scheduler",
        subject="sb.events.documents.>",
        handler=timers.step,
        description="Schedules the reminder and the climb of each approval step asked",
    )
    subscribe(
        broker,
        stream=EVENTS,
        durable="documents-away-approvers",
        subject="sb.events.routing.AgentStatusChanged",
        handler=timers.status_changed,
        description="Hands approvals waiting on someone away or offline to their supervisor",
    )
    subscribe(
        broker,
        stream=TIMERS,
        durable="documents-approval-deadlines",
        subject="sb.timers.fired.approval.>",
        handler=timers.fired,
        description="Reminds silent approvers, then hands their step to the next senior person",
    )

    async def card_of_contact(contact_id: uuid.UUID, principal: Principal) -> CustomerView | None:
        try:
            card = await history_run(history.card_of_contact, contact_id)
        except CustomerErasedError:
            return None
        if card is not None:
            await require_scope(principal, card)
        return card

    routers = [
        answers_router(app, run, auth, config.people, card_of_contact),
        documents_router(app, run, auth, config, card_of_contact),
    ]
    return DocumentsParts(app, run, relay, routers)
