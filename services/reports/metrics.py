"""Figures over contact rows: per time bucket in a time zone, by up to two dimensions (pure).

Rows stream through `MetricsFold.add` a page at a time, so a report over a million
contacts holds one accumulator per group, not the rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.reports.contact_row import ContactRow

BUCKETS: dict[str, timedelta] = {
    "15min": timedelta(minutes=15),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=31),
    "all": timedelta(0),
}
MAX_BUCKETS = 3000  # a finer bucket over a longer range is refused (400)
DIMENSIONS = ("channel", "source", "campaign", "queue", "type", "agent", "team", "tier")


def bucket_start(at: datetime, bucket: str, tz: ZoneInfo) -> str:
    """The local start of the bucket `at` falls in, as ISO text with its UTC offset."""
    local = at.astimezone(tz)
    match bucket:
        case "15min":
            start = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
        case "hour":
            start = local.replace(minute=0, second=0, microsecond=0)
        case "day":
            start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        case "week":
            day = local.replace(hour=0, minute=0, second=0, microsecond=0)
            start = day - timedelta(days=day.weekday())
        case "month":
            start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        case _:
            return "all"
    # Re-localised: a bucket that starts across a DST change has that day's offset.
    return start.replace(tzinfo=None).replace(tzinfo=tz).isoformat()


def dimension_value(
    row: ContactRow, dimension: str, team_of: Mapping[str, str | None]
) -> str | None:
    match dimension:
        case "type":
            return row.request_type
        case "agent":
            return row.last_agent
        case "team":
            return team_of.get(row.last_agent) if row.last_agent else None
        case _:
            value = getattr(row, dimension)
            return value if isinstance(value, str) else None


def p90(values: list[float]) -> float | None:
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]


def _mean(total: float, n: int) -> float | None:
    return total / n if n else None


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    contacts: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_within_sla: int = 0
    wait_total: float = 0.0
    first_responses: list[float] = field(default_factory=list)
    handled: int = 0
    handle_total: float = 0.0
    resolved: int = 0
    resolution_total: float = 0.0
    sla_known: int = 0
    sla_met: int = 0
    transfers: int = 0
    escalations: int = 0
    converted: int = 0

    def add(self, row: ContactRow, sla_seconds: float, converted: bool) -> None:
        self.contacts += 1
        self.abandoned += row.abandoned
        if row.answered and row.wait_seconds is not None:
            self.answered += 1
            self.wait_total += row.wait_seconds
            self.answered_within_sla += row.wait_seconds <= sla_seconds
        if row.first_response_seconds is not None:
            self.first_responses.append(row.first_response_seconds)
        if row.answered and row.completed_at is not None:
            self.handled += 1
            self.handle_total += row.handle_seconds + row.wrap_up_seconds
        if row.completed_at is not None and row.resolution_seconds is not None:
            self.resolved += 1
            self.resolution_total += row.resolution_seconds
        if row.sla_outcome is not None:
            self.sla_known += 1
            self.sla_met += row.sla_outcome in ("met", "hit", "achieved")
        self.transfers += row.transfers
        self.escalations += row.escalations
        self.converted += converted

    def report(self) -> dict[str, Any]:
        frt = self.first_responses
        return {
            "contacts": self.contacts,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "abandonment_rate": _rate(self.abandoned, self.contacts),
            # As GET /api/queues/{queue}/stats: within the threshold over answered + abandoned.
            "service_level": _rate(self.answered_within_sla, self.answered + self.abandoned),
            "average_speed_of_answer_seconds": _mean(self.wait_total, self.answered),
            "first_response_average_seconds": _mean(sum(frt), len(frt)),
            "first_response_p90_seconds": p90(frt),
            "average_handle_time_seconds": _mean(self.handle_total, self.handled),
            "resolved": self.resolved,
            "resolution_average_seconds": _mean(self.resolution_total, self.resolved),
            "sla_hit_rate": _rate(self.sla_met, self.sla_known),
            "transfers": self.transfers,
            "escalations": self.escalations,
            "converted": self.converted,
            "conversion_rate": _rate(self.converted, self.contacts),
        }


@dataclass
class MetricsFold:
    bucket: str
    tz: ZoneInfo
    group_by: tuple[str, ...]
    sla_seconds: Callable[[str | None], float]
    conversions: frozenset[str]
    team_of: Mapping[str, str | None] = field(default_factory=dict)
    groups: dict[tuple[str | None, ...], Figures] = field(default_factory=dict)

    def add(self, row: ContactRow) -> None:
        assert row.opened_at is not None
        key = (
            bucket_start(row.opened_at, self.bucket, self.tz),
            *(dimension_value(row, d, self.team_of) for d in self.group_by),
        )
        figures = self.groups.setdefault(key, Figures())
        figures.add(row, self.sla_seconds(row.queue), row.disposition in self.conversions)

    def report(self) -> list[dict[str, Any]]:
        out = []
        for key in sorted(self.groups, key=lambda k: tuple((v is None, v or "") for v in k)):
            entry: dict[str, Any] = {"bucket": key[0]}
            entry.update(zip(self.group_by, key[1:], strict=True))
            entry.update(self.groups[key].report())
            out.append(entry)
        return out


def from_database(
    values: Sequence[Any], bucket: str, tz: ZoneInfo, group_by: tuple[str, ...]
) -> dict[str, Any]:
    """A row of the database's GROUP BY (adapters/aggregate_postgres.py) as `report()`."""
    head, (within, converted, *figures) = values[: 1 + len(group_by)], values[1 + len(group_by) :]
    named = dict(zip(SQL_FIGURES, figures, strict=True))
    f = Figures(answered_within_sla=within, converted=converted)
    for name in ("contacts", "answered", "abandoned", "handled", "resolved", "sla_known"):
        setattr(f, name, int(named[name]))
    f.sla_met, f.transfers, f.escalations = (
        int(named["sla_met"]),
        int(named["transfers"]),
        int(named["escalations"]),
    )
    f.wait_total, f.handle_total, f.resolution_total = (
        float(named["wait_total"]),
        float(named["handle_total"]),
        float(named["resolution_total"]),
    )
    local = head[0]
    entry: dict[str, Any] = {
        "bucket": local if bucket == "all" else local.replace(tzinfo=tz).isoformat()
    }
    entry.update(zip(group_by, head[1:], strict=True))
    entry.update(f.report())
    entry["first_response_average_seconds"] = _float(named["frt_average"])
    entry["first_response_p90_seconds"] = _float(named["frt_p90"])
    return entry


SQL_FIGURES = (
    *("contacts", "answered", "wait_total", "abandoned", "frt_count", "frt_average", "frt_p90"),
    *("handled", "handle_total", "resolved", "resolution_total", "sla_known", "sla_met"),
    *("transfers", "escalations"),
)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def in_order(entries: list[dict[str, Any]], group_by: tuple[str, ...]) -> list[dict[str, Any]]:
    """As MetricsFold.report orders them: by bucket, then groups, empty ones last."""

    def key(e: dict[str, Any]) -> tuple[tuple[bool, str], ...]:
        return tuple((e[k] is None, e[k] or "") for k in ("bucket", *group_by))

    return sorted(entries, key=key)


def funnel(by_source: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Source -> contacts -> answered -> resolved -> converted, with the rates between,
    from `report()` entries grouped by source."""
    return [
        {
            "source": e["source"],
            "contacts": e["contacts"],
            "answered": e["answered"],
            "resolved": e["resolved"],
            "converted": e["converted"],
            "answer_rate": _rate(e["answered"], e["contacts"]),
            "resolution_rate": _rate(e["resolved"], e["contacts"]),
            "conversion_rate": e["conversion_rate"],
            "first_response_average_seconds": e["first_response_average_seconds"],
        }
        for e in sorted(by_source, key=lambda e: (-e["contacts"], e["source"] or ""))
    ]
