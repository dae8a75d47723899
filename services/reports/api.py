"""Reports over the read model: metrics, funnel, drill-down, CSV; each scoped to who asks."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from schemas.config import SwitchboardConfig
from services.reports.adapters.read_model_sql import SubscriptionsSql
from services.reports.agent_time import seconds_in
from services.reports.contact_row import COLUMNS, ContactRow
from services.reports.metrics import MetricsFold, from_database, funnel, in_order
from services.reports.params import ReportParams, parse
from services.reports.query import AggregateSpec, RowFilter
from switchboard.auth import STAFF, Authenticator, Principal
from switchboard.serial import SerialExecutor

PAGE = 1000
# Bookkeeping columns stay out of exports.
EXPORTED = tuple(c for c in COLUMNS if c not in ("held_since", "wrap_up_since", "call_ringing"))


class Reports:
    """The queries behind the routes, run on the read model's thread."""

    def __init__(
        self, view: SubscriptionsSql, config: SwitchboardConfig, auth: Authenticator
    ) -> None:
        self.view = view
        self.config = config
        self.auth = auth
        routing = config.routing
        self.sla = {
            q.name: q.sla_seconds or routing.sla_seconds for q in routing.effective_queues()
        }
        self.default_sla = routing.sla_seconds
        self.conversions = frozenset(config.reports.conversions)
        self.team_of = {p.id: p.supervisor for p in config.people}
        default = config.queue_supervisor()
        self.queue_supervisors = {
            q.name: q.supervisor or default for q in routing.effective_queues()
        }

    def sla_seconds(self, queue: str | None) -> float:
        return self.sla.get(queue or "", self.default_sla)

    def subtree(self, supervisor: str) -> tuple[str, ...]:
        return tuple(
            p.id
            for p in self.config.people
            if self.auth.manages(Principal(supervisor, "supervisor"), p.id)
        )

    def row_filter(self, p: ReportParams, who: Principal) -> RowFilter:
        equal = {k: v for k, v in p.filters.items() if k != "team"}
        team = self.subtree(p.filters["team"] or "") if "team" in p.filters else None
        return self.scoped(p.start, p.end, who, equal, team)

    def scoped(
        self,
        start: datetime,
        end: datetime,
        who: Principal,
        equal: dict[str, str | None] | None = None,
        team: tuple[str, ...] | None = None,
    ) -> RowFilter:
        """Agents: the contacts they worked on. Supervisors: those their subtree worked on,
        and every contact of the queues they (or someone below them) supervise, so that
        what nobody answered counts for them too. Admins: all."""
        agents = self.scope(who)
        queues: tuple[str, ...] = ()
        if who.role == "supervisor" and agents is not None:
            queues = tuple(q for q, s in self.queue_supervisors.items() if s in agents)
        return RowFilter(start, end, equal or {}, agents=agents, queues=queues, team=team)

    def scope(self, who: Principal) -> tuple[str, ...] | None:
        """Agents see their own contacts, supervisors their team's, admins everyone's."""
        if who.role == "admin":
            return None
        if who.role == "supervisor":
            return self.subtree(who.id)
        return (who.id,)

    def rows(self, f: RowFilter) -> Iterable[ContactRow]:
        after: tuple[datetime, str] | None = None
        while page := self.view.page(f, after, PAGE):
            yield from page
            last = page[-1]
            assert last.opened_at is not None
            after = (last.opened_at, str(last.contact_id))

    def metrics(self, p: ReportParams, f: RowFilter) -> list[dict[str, Any]]:
        return self.grouped(p.bucket, p.tz, p.group_by, f)

    def grouped(
        self, bucket: str, tz: ZoneInfo, group_by: tuple[str, ...], f: RowFilter
    ) -> list[dict[str, Any]]:
        """Figures per bucket and group: by the database where it can, else folded here."""
        spec = AggregateSpec(
            bucket, tz, group_by, self.sla, self.default_sla, self.conversions, self.team_of
        )
        found = self.view.aggregate(f, spec)
        if found is not None:
            return in_order([from_database(v, bucket, tz, group_by) for v in found], group_by)
        fold = MetricsFold(bucket, tz, group_by, self.sla_seconds, self.conversions, self.team_of)
        for row in self.rows(f):
            fold.add(row)
        return fold.report()

    def funnel(self, f: RowFilter) -> list[dict[str, Any]]:
        return funnel(self.grouped("all", ZoneInfo("UTC"), ("source",), f))

    def agents(self, p: ReportParams, who: Principal) -> list[dict[str, Any]]:
        scope = self.scope(who)
        now = datetime.now(p.end.tzinfo)
        found = self.view.intervals(scope, p.start, p.end)
        missed = self.view.missed(p.start, p.end)
        names = sorted({a for a, *_ in found} | set(missed))
        out = []
        for agent in names:
            spans = [(s, b, e or min(now, p.end)) for a, s, b, e in found if a == agent]
            if scope is not None and agent not in scope:
                continue
            out.append(
                {
                    "agent": agent,
                    "seconds": seconds_in(spans, p.start, p.end),
                    "not_responding": missed.get(agent, 0),
                }
            )
        return out


def _bucket_end(start: datetime, bucket: str) -> datetime:
    if bucket == "month":
        return (start + timedelta(days=32)).replace(day=1)
    return start + {"15min": timedelta(minutes=15), "hour": timedelta(hours=1)}.get(
        bucket, timedelta(days=7 if bucket == "week" else 1)
    )


def drill_link(p: ReportParams, entry: dict[str, Any]) -> str:
    """The contacts behind one figure: the same filter, narrowed to its bucket and group."""
    query = {k: v or "" for k, v in p.filters.items()}
    if entry["bucket"] == "all":
        query.update(start=p.start.isoformat(), end=p.end.isoformat())
    else:
        start = datetime.fromisoformat(entry["bucket"])
        end = _bucket_end(start.replace(tzinfo=None), p.bucket).replace(tzinfo=p.tz)
        query.update(start=max(start, p.start).isoformat(), end=min(end, p.end).isoformat())
    query.update({d: entry.get(d) or "" for d in p.group_by})
    query["tz"] = str(p.tz)
    return "/api/reports/contacts?" + urlencode(query)


def _csv_line(values: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(["" if v is None else v for v in values])
    return out.getvalue()


def exported(row: ContactRow) -> list[Any]:
    values = row.values()
    values["agents"] = " ".join(row.agents)
    values["attributes"] = " ".join(f"{k}={v}" for k, v in sorted(row.attributes.items()))
    return [
        values[c].isoformat() if isinstance(values[c], datetime) else values[c] for c in EXPORTED
    ]


def reports_router(reports: Reports, run: SerialExecutor, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["reports"])
    staff = Depends(auth.role(*STAFF))
    default_tz = reports.config.reports.time_zone

    def params(request: Request) -> ReportParams:
        return parse(dict(request.query_params), default_tz)

    @router.get("/api/reports/metrics")
    async def metrics(request: Request, who: Principal = staff) -> dict[str, Any]:
        """Contacts, answers, SL, ASA, FRT, AHT, SLA, conversions per bucket and group."""
        p = params(request)
        rows = await run(reports.metrics, p, reports.row_filter(p, who))
        for entry in rows:
            entry["contacts_url"] = drill_link(p, entry)
        return {"bucket": p.bucket, "tz": str(p.tz), "group_by": list(p.group_by), "rows": rows}

    @router.get("/api/reports/funnel")
    async def source_funnel(request: Request, who: Principal = staff) -> dict[str, Any]:
        """Source -> contacts -> answered -> resolved -> converted."""
        p = params(request)
        rows = await run(reports.funnel, reports.row_filter(p, who))
        by_source = replace(p, bucket="all", group_by=("source",))
        for entry in rows:
            entry["contacts_url"] = drill_link(by_source, {"bucket": "all", **entry})
        return {"rows": rows}

    @router.get("/api/reports/agents")
    async def agents(request: Request, who: Principal = staff) -> dict[str, Any]:
        """Per agent: seconds in each status within the window, offers left unanswered."""
        p = params(request)
        return {"rows": await run(reports.agents, p, who)}

    @router.get("/api/reports/contacts")
    async def contacts(request: Request, who: Principal = staff) -> dict[str, Any]:
        """The contacts behind a figure, a page at a time (`next` fetches the following)."""
        p = params(request)
        page = await run(reports.view.page, reports.row_filter(p, who), p.after, p.limit)
        rows = [dict(zip(EXPORTED, exported(r), strict=True)) for r in page]
        last = page[-1] if len(page) == p.limit else None
        nxt = f"{last.opened_at.isoformat()}|{last.contact_id}" if last and last.opened_at else None
        return {"rows": rows, "next": nxt}

    @router.get("/api/reports/contacts.csv")
    async def contacts_csv(request: Request, who: Principal = staff) -> StreamingResponse:
        """Every row of the filter, one CSV line per contact, read a page at a time."""
        p = params(request)
        f = reports.row_filter(p, who)

        async def lines() -> AsyncIterator[str]:
            yield _csv_line(EXPORTED)
            after: tuple[datetime, str] | None = None
            while page := await run(reports.view.page, f, after, PAGE):
                yield "".join(_csv_line(exported(r)) for r in page)
                assert page[-1].opened_at is not None
                after = (page[-1].opened_at, str(page[-1].contact_id))

        return _csv_response(lines(), "contacts.csv")

    @router.get("/api/reports/metrics.csv")
    async def metrics_csv(request: Request, who: Principal = staff) -> StreamingResponse:
        p = params(request)
        rows = await run(reports.metrics, p, reports.row_filter(p, who))

        async def lines() -> AsyncIterator[str]:
            if rows:
                yield _csv_line(rows[0].keys())
            for entry in rows:
                yield _csv_line(entry.values())

        return _csv_response(lines(), "metrics.csv")

    return router


def _csv_response(lines: AsyncIterator[str], name: str) -> StreamingResponse:
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
