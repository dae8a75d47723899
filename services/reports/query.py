"""What a report asks for: which contacts (a window, equal filters, a scope)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class RowFilter:
    start: datetime
    end: datetime
    # Column (or dimension name: agent, type) -> value; None matches an empty column.
    equal: dict[str, str | None] = field(default_factory=dict)
    # Scope: only contacts one of these agents worked on; None: everyone's.
    agents: tuple[str, ...] | None = None
    # The `team` dimension: contacts whose last agent is one of these.
    team: tuple[str, ...] | None = None
