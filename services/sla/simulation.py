"""The real SLA clock beside `switchboard simulate`: routing's stored events, as routing
publishes them, go to an SlaApplication under the same virtual clock, and its deadlines
fire at virtual times. An answered call is its first response (the model has no replies);
the end of handling resolves it. What comes out is the share of contacts that breached."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import datetime

from eventsourcing.persistence import Tracking

from events import ContactEvent, OfferAccepted, ReplyRequested
from schemas.config import Person, SwitchboardConfig
from schemas.sla_config import SlaConfig
from services.routing.application import RoutingApplication
from services.routing.contracts import to_contract
from services.sla.application import SlaApplication


class SimulatedSla:
    def __init__(self, sla: SlaConfig, people: list[Person], clock: Callable[[], datetime]) -> None:
        config = SwitchboardConfig(people=people, sla=sla)
        self.clock = clock
        self.app = SlaApplication(
            config, clock=clock, env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
        )
        self._read = 0
        self._positions = itertools.count(1)

    def follow(self, routing: RoutingApplication) -> set[uuid.UUID]:
        """Feeds routing's new events to the clocks; returns the contacts they touched."""
        touched: set[uuid.UUID] = set()
        while batch := routing.recorder.select_notifications(self._read + 1, 500):
            for record in batch:
                self._read = record.id
                contract = to_contract(routing.mapper.to_domain_event(record))
                if not isinstance(contract, ContactEvent):
                    continue
                # Stored timestamps are the wall clock's; the model's time is virtual.
                contract = contract.model_copy(update={"occurred_at": self.clock()})
                self._observe(contract)
                if isinstance(contract, OfferAccepted):
                    self._observe(answered(contract))
                touched.add(contract.contact_id)
        return touched

    def _observe(self, event: ContactEvent) -> None:
        self.app.observe(event, Tracking("sim-routing", next(self._positions)))

    def fire(self, contact_id: uuid.UUID) -> None:
        self.app.fire(contact_id, Tracking("sim-timers", next(self._positions)))

    def next_deadline(self, contact_id: uuid.UUID) -> datetime | None:
        return self.app.next_deadline(contact_id)

    def breach_rate(self, contact_ids: list[uuid.UUID]) -> float | None:
        clocks = [c for c in (self.app.get(i) for i in contact_ids) if c is not None]
        return sum(c.breaches > 0 for c in clocks) / len(clocks) if clocks else None


def answered(accepted: OfferAccepted) -> ReplyRequested:
    return ReplyRequested(
        contact_id=accepted.contact_id,
        occurred_at=accepted.occurred_at,
        reply_id=uuid.uuid5(accepted.contact_id, "answered"),
        agent_id=accepted.agent_id,
        text="",
        channel="voice",
        origin={},
    )
