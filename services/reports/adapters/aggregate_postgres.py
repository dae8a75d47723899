"""Report figures computed by PostgreSQL: one GROUP BY over the window instead of every
row through Python (bench/reports.py measures both). The same definitions as
services/reports/metrics.Figures, which SQLite's reports use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.reports.query import AggregateSpec

# Dimension -> column; `team` is computed from the last agent (see `_team`).
COLUMN = {
    "channel": "channel",
    "source": "source",
    "campaign": "campaign",
    "queue": "queue",
    "type": "request_type",
    "agent": "last_agent",
    "tier": "tier",
}
LOCAL = "(opened_at AT TIME ZONE %s)"
BUCKET = {
    "15min": f"date_trunc('hour', {LOCAL}) + "
    f"floor(extract(minute FROM {LOCAL}) / 15) * interval '15 minutes'",
    "hour": f"date_trunc('hour', {LOCAL})",
    "day": f"date_trunc('day', {LOCAL})",
    "week": f"date_trunc('week', {LOCAL})",
    "month": f"date_trunc('month', {LOCAL})",
}
ANSWERED = "answered AND wait_seconds IS NOT NULL"
HANDLED = "answered AND completed_at IS NOT NULL"
RESOLVED = "completed_at IS NOT NULL AND resolution_seconds IS NOT NULL"
FIGURES = (
    ("contacts", "count(*)"),
    ("answered", f"count(*) FILTER (WHERE {ANSWERED})"),
    ("wait_total", f"coalesce(sum(wait_seconds) FILTER (WHERE {ANSWERED}), 0)"),
    ("abandoned", "count(*) FILTER (WHERE abandoned)"),
    ("frt_count", "count(first_response_seconds)"),
    ("frt_average", "avg(first_response_seconds)"),
    # Nearest rank, as metrics.p90: the first value whose share reaches 0.9.
    ("frt_p90", "percentile_disc(0.9) WITHIN GROUP (ORDER BY first_response_seconds)"),
    ("handled", f"count(*) FILTER (WHERE {HANDLED})"),
    (
        "handle_total",
        f"coalesce(sum(handle_seconds + wrap_up_seconds) FILTER (WHERE {HANDLED}), 0)",
    ),
    ("resolved", f"count(*) FILTER (WHERE {RESOLVED})"),
    ("resolution_total", f"coalesce(sum(resolution_seconds) FILTER (WHERE {RESOLVED}), 0)"),
    ("sla_known", "count(sla_outcome)"),
    ("sla_met", "count(*) FILTER (WHERE sla_outcome IN ('met', 'hit', 'achieved'))"),
    ("transfers", "coalesce(sum(transfers), 0)"),
    ("escalations", "coalesce(sum(escalations), 0)"),
)


def _case(column: str, mapping: Mapping[str, Any], default: str) -> tuple[str, list[Any]]:
    if not mapping:
        return default, []
    whens = " ".join("WHEN %s THEN %s" for _ in mapping)
    return f"CASE {column} {whens} ELSE {default} END", [v for kv in mapping.items() for v in kv]


def aggregate_statement(
    where: str, where_params: list[Any], spec: AggregateSpec, table: str
) -> tuple[str, list[Any]]:
    bucket, group_by, team_of = spec.bucket, spec.group_by, spec.team_of
    select: list[str] = []
    params: list[Any] = []
    if bucket == "all":
        select.append("'all'")
    else:
        expr = BUCKET[bucket]
        select.append(expr)
        params += [str(spec.tz)] * expr.count("%s")
    for d in group_by:
        if d == "team":
            team, team_params = _case("last_agent", {a: s for a, s in team_of.items() if s}, "NULL")
            select.append(team)
            params += team_params
        else:
            select.append(COLUMN[d])
    sla, sla_params = _case("queue", spec.sla_by_queue, "%s")
    select.append(f"count(*) FILTER (WHERE {ANSWERED} AND wait_seconds <= {sla})")
    params += [*sla_params, spec.default_sla]
    select.append("count(*) FILTER (WHERE disposition = ANY(%s))")
    params.append(sorted(spec.conversions))
    select += [expr for _, expr in FIGURES]
    keys = ", ".join(str(i + 1) for i in range(1 + len(group_by)))
    # Named apart: rows come back as dicts, where two `count` columns would be one.
    columns = ", ".join(f"{expr} AS c{i}" for i, expr in enumerate(select))
    sql = f"SELECT {columns} FROM {table} WHERE {where} GROUP BY {keys}"
    return sql, params + where_params
