"""Follow-ups an agent schedules on a contact ([routing.follow_ups] in switchboard.toml).

[routing.follow_ups]
grace_seconds = 300      # only the agent who scheduled it may take it, this long
answer_seconds = 1800    # then the queue; untaken after this long, the attempt is missed
max_attempts = 3
retry_seconds = 900      # a missed attempt comes back this much later
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FollowUpConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    grace_seconds: float = Field(default=300, ge=0)
    answer_seconds: float = Field(default=1800, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    retry_seconds: float = Field(default=900, gt=0)
