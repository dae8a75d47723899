"""E-mailed reports: a person subscribes to a daily or weekly report; at its time (a NATS
message schedule, like every other deadline) the report is computed and e-mailed with
the period's contacts as CSV, and the next one is scheduled.

A fired deadline whose `due` was already sent is skipped, so a redelivery sends nothing
twice; a crash between sending and recording it may send that one report again (e-mail
has no transaction to join).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, time
from email.message import EmailMessage
from typing import Literal
from zoneinfo import ZoneInfo

from eventsourcing.persistence import Tracking
from faststream.nats import NatsBroker
from pydantic import BaseModel, ConfigDict, Field, field_validator

from events import Event
from events.base import utcnow
from events.reports import ReportDeadline
from schemas.config import SwitchboardConfig
from services.reports.api import EXPORTED, Reports, exported
from services.reports.mail import csv_text, report_message, summary_lines
from services.reports.metrics import DIMENSIONS
from services.reports.params import ReportParams
from services.reports.schedule import Subscription, next_due, period
from switchboard.auth import Principal, Role
from switchboard.serial import SerialExecutor
from switchboard.smtp import Mailer
from switchboard.timers import schedule

log = logging.getLogger(__name__)


class SubscriptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cadence: Literal["daily", "weekly"]
    at: time = Field(description="Local time it is sent, e.g. 08:00")
    weekday: int = Field(default=0, ge=0, le=6, description="Weekly: 0 = Monday")
    time_zone: str | None = Field(default=None, description="Default: [reports] time_zone")
    group_by: str = "channel"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        # ZoneInfo raises KeyError for unknown names and ValueError for path-like ones: both
        # are the caller's mistake (422 naming the field), never a 500.
        if value is not None:
            try:
                ZoneInfo(value)
            except (KeyError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("group_by")
    @classmethod
    def _known(cls, value: str) -> str:
        if value and value not in DIMENSIONS:
            raise ValueError(f"one of {', '.join(DIMENSIONS)}")
        return value


class ScheduledReports:
    def __init__(
        self,
        reports: Reports,
        run: SerialExecutor,
        broker: NatsBroker,
        mailer: Mailer,
        sender: str,
        config: SwitchboardConfig,
    ) -> None:
        self.reports = reports
        self.view = reports.view
        self.run = run
        self.broker = broker
        self.mailer = mailer
        self.sender = sender
        self.people = {p.id: p for p in config.people}

    async def subscribe(self, who: Principal, request: SubscriptionRequest) -> Subscription:
        sub = Subscription(
            uuid.uuid4(),
            who.id,
            request.cadence,
            request.at,
            request.weekday,
            request.time_zone or self.reports.config.reports.time_zone,
            request.group_by,
        )
        await self.run(self.view.subscribe, sub)
        await self._schedule(sub, utcnow())
        return sub

    async def _schedule(self, sub: Subscription, after: datetime) -> None:
        due = next_due(sub, after)
        await schedule(
            self.broker, ReportDeadline(subscription_id=sub.subscription_id, due=due), due
        )

    async def due(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, ReportDeadline)
        sub = await self.run(self.view.subscription, event.subscription_id)
        if sub is None:
            return  # unsubscribed: its schedule fired once more
        if sub.last_due is not None and sub.last_due >= event.due:
            return  # sent already (a redelivery)
        person = self.people.get(sub.person_id)
        if person is not None and person.email:
            message = await self.run(self._message, sub, event.due, person.email, person.role)
            await self.mailer.send(message)
        else:
            log.warning("report %s: %s has no e-mail address", sub.subscription_id, sub.person_id)
        await self.run(self.view.sent, sub.subscription_id, event.due)
        await self._schedule(sub, event.due)

    def _message(self, sub: Subscription, due: datetime, to: str, role: Role) -> EmailMessage:
        start, end = period(sub, due)
        who = Principal(sub.person_id, role)
        f = self.reports.scoped(start, end, who)
        params = ReportParams(
            start,
            end,
            ZoneInfo(sub.time_zone),
            "all",
            (sub.group_by,) if sub.group_by else (),
            {},
            1,
            None,
        )
        rows = self.reports.metrics(params, f)
        attachment = csv_text(EXPORTED, (exported(r) for r in self.reports.rows(f)))
        return report_message(
            self.sender, to, sub.cadence, start, end, summary_lines(rows, sub.group_by), attachment
        )
