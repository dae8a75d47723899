"""Keeps the timeline read model up to date with the history store, exactly once."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from eventsourcing.persistence import InfrastructureFactory, Notification, Tracking
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment

from services.history.adapters.read_model_postgres import PostgresTimelineView
from services.history.adapters.read_model_sqlite import SQLiteTimelineView
from services.history.application import HistoryApplication
from services.history.timeline import (
    KINDS,
    PROJECTED_FROM,
    Change,
    TimelineView,
    changes_for,
)
from switchboard.log_follower import follow, reads, select_after
from switchboard.serial import SerialExecutor
from switchboard.settings import SERVE_LOG_POLL

ProgressCallback = Callable[[int, int], None]


def open_timeline_view(env: dict[str, str]) -> TimelineView:
    factory = InfrastructureFactory.construct(Environment("timeline", env))
    if isinstance(factory, PostgresFactory):
        return factory.tracking_recorder(PostgresTimelineView)
    return factory.tracking_recorder(SQLiteTimelineView)  # type: ignore[return-value]


class TimelineProjector:
    def __init__(
        self,
        app: HistoryApplication,
        view: TimelineView,
        run: SerialExecutor,
        idle_poll: float = SERVE_LOG_POLL,
    ) -> None:
        self.app = app
        self.view = view
        self.run = run
        self.projected: list[Callable[[], None]] = []
        self._reads = reads(app.mapper, KINDS.__contains__)
        # History's relay waits for it (OutboxRelay's `behind`).
        self.follower = follow(
            app, "projection:timeline", self.position, self._project, run, idle_poll
        )

    async def position(self) -> int:
        """The last history notification the timeline shows."""
        return await self.run(self.view.position)

    def close(self) -> None:
        """The projection's thread, then the read model's and the store's connections."""
        self.run.shutdown()
        self.view.close()
        self.app.close()

    def project(self, notifications: Sequence[Notification]) -> None:
        """The changes of a batch and the tracking of its last notification, in one
        transaction. An event whose customer was erased reads as a placeholder and
        changes nothing, so a rebuild after erasure ends where the live model is."""
        changes: list[Change] = []
        for n in notifications:
            if self._reads(n):  # the rest would change nothing: not even decoded
                changes += changes_for(n.id, self.app.decoded(n))
        self.view.apply(changes, Tracking(PROJECTED_FROM, notifications[-1].id))

    async def _project(self, notifications: Sequence[Notification]) -> None:
        await self.run(self.project, notifications)
        for listener in self.projected:
            listener()

    def rebuild(self, progress: ProgressCallback | None = None) -> int:
        """Drops the read model and projects the whole history store again."""
        self.view.clear()
        total = self.app.recorder.max_notification_id() or 0
        position = 0
        select = select_after(self.app.recorder)
        while batch := select(position, 500):
            self.project(batch)
            position = batch[-1].id
            if progress:
                progress(position, total)
        return position
