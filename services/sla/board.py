"""Which contacts are at risk or in breach, and who holds each clock: folded in memory from
the SLA store's log (rebuilt from it at start), for the console's board and the desk."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from schemas.sla_api import SlaBoardRow

Risk = Literal["at_risk", "breached"]


@dataclass
class _Row:
    contact_id: uuid.UUID
    policy: str
    channel: str
    queue: str
    holder: str | None = None
    resolved: bool = False
    # (metric, cycle) -> (how it stands, due)
    risks: dict[tuple[str, int], tuple[Risk, datetime]] = field(default_factory=dict)


class SlaBoard:
    def __init__(self) -> None:
        self.position = 0
        self.rows: dict[uuid.UUID, _Row] = {}

    def apply(self, position: int, event: Any) -> None:
        self.position = position
        kind = type(event).__qualname__.split(".")[-1]
        if kind == "Started":
            self.rows[event.originator_id] = _Row(
                event.contact_id, event.policy, event.channel, event.queue
            )
            return
        row = self.rows.get(event.originator_id)
        if row is None:
            return
        if kind == "HolderChanged":
            row.holder = event.holder
        elif kind == "StepTaken" and event.kind in ("warn", "breach"):
            key = (event.metric, event.cycle)
            if event.kind == "breach" or row.risks.get(key, ("",))[0] != "breached":
                state: Risk = "breached" if event.kind == "breach" else "at_risk"
                row.risks[key] = (state, event.due_at)
        elif kind == "Fulfilled":
            row.risks.pop((event.metric, event.cycle), None)
        elif kind == "Resolved":
            row.resolved = True
            row.risks.clear()
        elif kind == "Reopened":
            row.resolved = False

    def held_by(self, agent_id: str) -> list[uuid.UUID]:
        return [r.contact_id for r in self.rows.values() if r.holder == agent_id and not r.resolved]

    def troubled(self) -> list[SlaBoardRow]:
        """At risk or breached, breached first, then by due time."""
        out = []
        for r in self.rows.values():
            if r.resolved or not r.risks:
                continue
            (metric, _), (state, due) = min(
                r.risks.items(), key=lambda kv: (kv[1][0] != "breached", kv[1][1])
            )
            out.append(
                SlaBoardRow(
                    contact_id=r.contact_id,
                    policy=r.policy,
                    channel=r.channel,
                    queue=r.queue,
                    holder_id=r.holder,
                    state=state,
                    metric=metric,
                    due_at=due,
                )
            )
        return sorted(out, key=lambda row: (row.state != "breached", row.due_at))
