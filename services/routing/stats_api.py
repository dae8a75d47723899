"""Queue statistics for supervisors: JSON per queue and Prometheus metrics."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Depends, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from schemas.api import QueueStats
from services.routing.application import NotFound, RoutingApplication
from services.routing.queue_stats import QueueStatsProjection, QueueTotals
from switchboard.auth import SUPERVISORS, Authenticator
from switchboard.serial import SerialExecutor


def stats_router(
    app: RoutingApplication,
    projection: QueueStatsProjection,
    run: SerialExecutor,
    auth: Authenticator,
) -> APIRouter:
    # Supervisors watch queues; a Prometheus scraper uses an admin token.
    router = APIRouter(tags=["routing"], dependencies=[Depends(auth.role(*SUPERVISORS))])

    async def snapshot(queue: str) -> QueueStats:
        try:
            waiting, longest, by_status, busy = await run(app.queue_now, queue)
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc
        totals = projection.totals.get(queue, QueueTotals())
        return QueueStats(
            queue=queue,
            waiting=waiting,
            longest_waiting_seconds=longest,
            agents_by_status=by_status,
            agents_busy=busy,
            queued=totals.queued,
            offered=totals.offered,
            accepted=totals.accepted,
            declined=totals.declined,
            expired=totals.expired,
            escalated=totals.escalated,
            abandoned=totals.abandoned,
            completed=totals.completed,
            reopened=totals.reopened,
            messages=totals.messages,
            average_speed_of_answer_seconds=totals.average_speed_of_answer,
            service_level=totals.service_level(),
            sla_seconds=projection.sla_seconds(queue),
        )

    @router.get("/api/queues/{queue}/stats", response_model=QueueStats)
    async def queue_stats(queue: str) -> QueueStats:
        """Right now (waiting, longest wait, agents) and since the beginning (totals, ASA, SL)."""
        return await snapshot(queue)

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        registry = CollectorRegistry()
        registry.register(_Collector([await snapshot(q.name) for q in app.plan.queues]))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


class _Collector:
    """Every queue's figures, one metric family each, labelled by queue."""

    COUNTERS = (
        *("queued", "offered", "accepted", "declined"),
        *("expired", "escalated", "abandoned", "completed", "reopened"),
    )

    def __init__(self, stats: list[QueueStats]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        waiting = GaugeMetricFamily(
            "switchboard_queue_waiting", "Contacts waiting", labels=["queue"]
        )
        longest = GaugeMetricFamily(
            "switchboard_queue_longest_wait_seconds",
            "Age of the oldest waiting contact",
            labels=["queue"],
        )
        agents = GaugeMetricFamily(
            "switchboard_agents", "Agents by status", labels=["queue", "status"]
        )
        level = GaugeMetricFamily(
            "switchboard_service_level",
            "Answered within the SLA over answered and abandoned",
            labels=["queue"],
        )
        counters = {
            name: CounterMetricFamily(
                f"switchboard_contacts_{name}", f"Contacts {name}", labels=["queue"]
            )
            for name in self.COUNTERS
        }
        messages = CounterMetricFamily(
            "switchboard_messages",
            "Customer messages (a conversation is one contact)",
            labels=["queue"],
        )
        for s in self.stats:
            messages.add_metric([s.queue], s.messages)
            waiting.add_metric([s.queue], s.waiting)
            longest.add_metric([s.queue], s.longest_waiting_seconds or 0.0)
            for status, count in s.agents_by_status.items():
                agents.add_metric([s.queue, status], count)
            for name, counter in counters.items():
                counter.add_metric([s.queue], getattr(s, name))
            sl = s.service_level if s.service_level is not None else float("nan")
            level.add_metric([s.queue], sl)
        yield from (waiting, longest, agents, level, messages, *counters.values())
