"""What a report asks for: which contacts (a window, equal filters, a scope)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class RowFilter:
    start: datetime
    end: datetime
    # Column (or dimension name: agent, type) -> value; None matches an empty column.
    equal: dict[str, str | None] = field(default_factory=dict)
    # Scope: only contacts one of these agents worked on; None: everyone's.
    agents: tuple[str, ...] | None = None
    # With `agents`: also every contact of these queues (those a supervisor's team runs).
    queues: tuple[str, ...] = ()
    # The `team` dimension: contacts whose last agent is one of these.
    team: tuple[str, ...] | None = None


@dataclass(frozen=True)
class AggregateSpec:
    """How rows are grouped and counted (what MetricsFold does in Python)."""

    bucket: str
    tz: ZoneInfo
    group_by: tuple[str, ...]
    sla_by_queue: Mapping[str, float]
    default_sla: float
    conversions: frozenset[str]
    team_of: Mapping[str, str | None]
