"""Timers of the reports service (its scheduled e-mails)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from events.routing import Deadline


class ReportDeadline(Deadline):
    """A subscribed report is due: the reports service e-mails it and schedules the next."""

    subject: ClassVar[str] = "sb.timers.fired.report.*"
    kind: ClassVar[str] = "report"
    subscription_id: uuid.UUID
    due: datetime

    def key(self) -> str:
        return str(self.subscription_id)
