"""What the SLA API answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class SlaView(BaseModel):
    """A contact's SLA: each open metric's due time (None while paused on the customer)."""

    model_config = ConfigDict(frozen=True)

    contact_id: uuid.UUID
    policy: str
    holder_id: str | None
    deadlines: dict[str, datetime | None]
    breaches: int
    paused: bool
    resolved: bool


class SlaBoardRow(BaseModel):
    """A contact at risk (a warning was given) or in breach, by its worst open metric."""

    model_config = ConfigDict(frozen=True)

    contact_id: uuid.UUID
    policy: str
    channel: str
    queue: str
    holder_id: str | None
    state: Literal["at_risk", "breached"]
    metric: str
    due_at: datetime
