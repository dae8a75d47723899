"""Keeps the reports read model up to date with the public events, exactly once.

Live, it follows routing's and history's events on the EVENTS stream; each message carries
its origin store's notification id, which is the tracking position (switchboard/inbox.py).
A rebuild reads the same stores directly, maps their events to the same contracts and
records the same positions, so it ends where the live model is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, Notification, Tracking
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment

from events import Event
from schemas.config import SwitchboardConfig
from services.history.application import HistoryApplication
from services.history.contracts import to_contract as history_contract
from services.reports import agent_time, contact_row
from services.reports.adapters.read_model_postgres import PostgresReportsView
from services.reports.adapters.read_model_sql import ReportsSql, SubscriptionsSql
from services.reports.adapters.read_model_sqlite import SQLiteReportsView
from services.routing.application import RoutingApplication
from services.routing.contracts import to_contract as routing_contract
from switchboard.inbound_batches import Done
from switchboard.settings import Settings
from switchboard.store import TrackedApplication, event_store_env

ProgressCallback = Callable[[int, int], None]
# Origin store -> (the consumer whose tracking name it fills, how its events are published).
SOURCES: dict[str, tuple[str, Callable[[Any], Event | None]]] = {
    "routing": ("reports-routing", routing_contract),
    "history": ("reports-history", history_contract),
}


def open_reports_view(env: dict[str, str]) -> SubscriptionsSql:
    factory = InfrastructureFactory.construct(Environment("reports", env))
    if isinstance(factory, PostgresFactory):
        return factory.tracking_recorder(PostgresReportsView)
    return factory.tracking_recorder(SQLiteReportsView)  # type: ignore[return-value]


def project(view: ReportsSql, events: Sequence[Event], tracking: Tracking | None) -> None:
    """Folds `events` into the rows and agent states they touch; one transaction."""
    contacts = [c for e in events if (c := contact_row.contact_of(e)) is not None]
    agents = [a for e in events for a in agent_time.agents_of(e)]
    rows, states = view.load(contacts, agents)
    closed: list[agent_time.Interval | agent_time.MissedOffer] = []
    touched_rows: dict[Any, contact_row.ContactRow] = {}
    touched_states: dict[str, agent_time.AgentState] = {}
    for event in events:
        contact = contact_row.contact_of(event)
        if contact is not None:
            row = rows.setdefault(contact, contact_row.ContactRow(contact))
            contact_row.apply(row, event)
            touched_rows[contact] = row
        for agent in agent_time.agents_of(event):
            state = states.setdefault(agent, agent_time.AgentState(agent))
            closed += agent_time.apply(state, event)
            touched_states[agent] = state
    view.save(touched_rows.values(), touched_states.values(), closed, tracking)


class ReportsProjector:
    def __init__(self, view: SubscriptionsSql) -> None:
        self.view = view

    def handle(self, event: Event, tracking: Tracking) -> None:
        """One relayed event (from a consumer's thread): skipped when already projected."""
        if self.view.has_tracking_id(tracking.application_name, tracking.notification_id):
            return
        project(self.view, [event], tracking)

    def handle_all(self, items: list[tuple[Event, Tracking]]) -> None:
        """A batch of relayed events of one consumer (switchboard/event_batches.py): those
        not yet projected, in one transaction with the last one's position."""
        done = Done(self.view.max_tracking_id)
        events: list[Event] = []
        last: Tracking | None = None
        for event, tracking in items:
            if not done(tracking):
                events.append(event)
                done.record(tracking)
                last = tracking
        if last is not None:
            project(self.view, events, last)

    def rebuild(
        self,
        settings: Settings,
        config: SwitchboardConfig,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Drops the read model and projects routing's and history's stores again.
        Returns how many events it read."""
        self.view.clear()
        return self.catch_up(settings, config, progress)

    def catch_up(
        self,
        settings: Settings,
        config: SwitchboardConfig,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Projects what routing's and history's stores hold beyond the read model's
        positions: after a clear, everything; after the services stopped, what they stored
        but had not yet relayed. Returns how many events it read."""
        # The services' own applications: their mappers open each contact's sealed events.
        readers: dict[str, TrackedApplication] = {
            "routing": RoutingApplication(
                config.people, config.routing, env=event_store_env(settings, "routing")
            ),
            "history": HistoryApplication(env=event_store_env(settings, "history")),
        }
        try:
            names = {origin: f"{origin}>{SOURCES[origin][0]}" for origin in readers}
            start = {origin: self.view.max_tracking_id(names[origin]) or 0 for origin in readers}
            total = sum(
                (r.recorder.max_notification_id() or 0) - start[origin]
                for origin, r in readers.items()
            )
            done = 0
            for origin, reader in readers.items():
                to_contract = SOURCES[origin][1]
                position = start[origin]
                while batch := reader.recorder.select_notifications(
                    position, 500, inclusive_of_start=False
                ):
                    self._project_batch(reader, batch, names[origin], to_contract)
                    position = batch[-1].id
                    done += len(batch)
                    if progress:
                        progress(done, total)
            return done
        finally:
            for reader in readers.values():
                reader.close()

    def _project_batch(
        self,
        reader: TrackedApplication,
        batch: Sequence[Notification],
        tracking_name: str,
        to_contract: Callable[[Any], Event | None],
    ) -> None:
        events = [
            c for n in batch if (c := to_contract(reader.mapper.to_domain_event(n))) is not None
        ]
        project(self.view, events, Tracking(tracking_name, batch[-1].id))
