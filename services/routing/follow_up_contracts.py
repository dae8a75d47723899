"""Which stored FollowUp events are published, as which contract (see contracts.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events import Event
from events.follow_ups import (
    FollowUpAttemptMissed,
    FollowUpCancelled,
    FollowUpDone,
    FollowUpMissed,
    FollowUpOpened,
    FollowUpReleased,
    FollowUpScheduled,
)

FOLLOW_UP_CONTRACTS: dict[str, type[Event]] = {
    "FollowUp.Scheduled": FollowUpScheduled,
    "FollowUp.Opened": FollowUpOpened,
    "FollowUp.Released": FollowUpReleased,
    "FollowUp.AttemptMissed": FollowUpAttemptMissed,
    "FollowUp.Done": FollowUpDone,
    "FollowUp.Missed": FollowUpMissed,
    "FollowUp.Cancelled": FollowUpCancelled,
}

# The follow-up's id is its aggregate's; `contact_id` each stored event carries itself.
FOLLOW_UP_RENAMED: dict[tuple[type[Event], str], str | Callable[[Any], Any]] = {
    (contract, "follow_up_id"): lambda e: e.originator_id
    for contract in FOLLOW_UP_CONTRACTS.values()
}
