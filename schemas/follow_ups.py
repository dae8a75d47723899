"""The follow-ups API's bodies (services/routing/follow_up_api.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FollowUpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["call", "write"] = Field(description="call back or write back")
    due_at: datetime | None = Field(default=None, description="an instant, with its offset")
    local_time: datetime | None = Field(
        default=None, description="a wall-clock time in `time_zone` (without an offset)"
    )
    time_zone: str | None = Field(
        default=None, max_length=64, description="the customer's IANA zone: Europe/Berlin"
    )
    note: str = Field(default="", max_length=500)


class FollowUpView(BaseModel):
    follow_up_id: uuid.UUID
    contact_id: uuid.UUID
    agent_id: str
    kind: str
    due_at: datetime
    time_zone: str | None
    note: str
    status: str  # scheduled, due, queued; done, missed, cancelled
    attempt: int
    done_by: str | None
