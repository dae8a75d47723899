"""What-if on your own history: the recorded arrivals, handle times and patience replayed
through the real routing code (a RoutingApplication under a virtual clock, as
services/routing/simulation.py runs it) with a proposed routing config or staffing.

Agents accept every offer at once and hold each contact as long as it was held in fact;
a contact that was abandoned leaves after as long as its customer waited then, if no
agent took it first. Unanswered contacts that were not abandoned wait as long as it takes.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from eventsourcing.persistence import Tracking

from events import InboundEvent, InteractionReceived, Sender, contact_id_for
from schemas.config import Person, RoutingConfig
from services.reports.contact_row import ContactRow
from services.routing.application import RoutingApplication
from services.routing.simulation import VirtualClock

DEFAULT_HANDLE_SECONDS = 180.0  # for a contact never answered in fact


@dataclass(frozen=True)
class Arrival:
    at: float  # seconds from the window's start
    channel: str
    handle_seconds: float
    patience_seconds: float | None  # None: waits as long as it takes


@dataclass(frozen=True)
class Figures:
    contacts: int
    service_level: float | None
    average_speed_of_answer: float | None
    abandonment: float | None


def arrivals_from(rows: Iterable[ContactRow], start: datetime) -> list[Arrival]:
    out = []
    for r in rows:
        if r.opened_at is None:
            continue
        handle = r.handle_seconds + r.wrap_up_seconds if r.answered else DEFAULT_HANDLE_SECONDS
        out.append(
            Arrival(
                at=(r.opened_at - start).total_seconds(),
                channel=r.channel or "api",
                handle_seconds=max(handle, 1.0),
                patience_seconds=r.wait_seconds if r.abandoned and not r.answered else None,
            )
        )
    return sorted(out, key=lambda a: a.at)


def actual(rows: Iterable[ContactRow], sla_seconds: float) -> Figures:
    rows = list(rows)
    waits = [r.wait_seconds for r in rows if r.answered and r.wait_seconds is not None]
    abandoned = sum(r.abandoned and not r.answered for r in rows)
    return _figures(len(rows), waits, abandoned, sla_seconds)


def _figures(contacts: int, waits: list[float], abandoned: int, sla: float) -> Figures:
    handled = len(waits) + abandoned
    return Figures(
        contacts=contacts,
        service_level=sum(w <= sla for w in waits) / handled if handled else None,
        average_speed_of_answer=sum(waits) / len(waits) if waits else None,
        abandonment=abandoned / contacts if contacts else None,
    )


def replay(
    arrivals: list[Arrival], people: list[Person], config: RoutingConfig, sla_seconds: float
) -> Figures:
    clock = VirtualClock()
    agents = [p.id for p in people if p.role == "agent"]
    app = RoutingApplication(
        people,
        # Nobody lets an offer lapse and nothing climbs a ladder: agents take what comes.
        config.model_copy(
            update={
                "offer_timeout_seconds": 1e9,
                "max_wait_seconds": 1e9,
                "identify_timeout_seconds": 0,
                "wrap_up_seconds": 0,
            }
        ),
        clock=clock,
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
    )
    for agent in agents:
        app.set_status(agent, "available")
    order = itertools.count()
    events: list[tuple[float, int, str, object]] = [
        (a.at, next(order), "arrive", a) for a in arrivals
    ]
    heapq.heapify(events)
    arrived: dict[uuid.UUID, tuple[float, Arrival]] = {}
    waiting: set[uuid.UUID] = set()
    waits: list[float] = []
    abandoned = 0

    def take_offers(now: float) -> None:
        for agent in agents:
            for offer in app.offers_for(agent):
                contact = app.accept(offer.offer_id)
                came, arrival = arrived[contact.contact_id]
                waiting.discard(contact.contact_id)
                waits.append(now - came)
                done = now + arrival.handle_seconds
                heapq.heappush(events, (done, next(order), "done", contact.contact_id))

    for n in itertools.count(1):
        if not events:
            break
        at, _, kind, data = heapq.heappop(events)
        clock.now = clock.start + timedelta(seconds=at)
        if kind == "arrive":
            assert isinstance(data, Arrival)
            interaction = InteractionReceived(
                interaction_id=InboundEvent.id_for(data.channel, "replay", str(n)),
                channel=data.channel,
                source="replay",
                external_id=str(n),
                sender=Sender(),
            )
            contact_id = contact_id_for(interaction.interaction_id)
            arrived[contact_id] = (at, data)
            waiting.add(contact_id)
            app.receive(interaction, Tracking("replay", n))
            if data.patience_seconds is not None:
                leave = at + data.patience_seconds
                heapq.heappush(events, (leave, next(order), "leave", contact_id))
        elif kind == "leave":
            assert isinstance(data, uuid.UUID)
            if data in waiting:
                waiting.discard(data)
                app.cancel(data, "customer", "abandoned")
                abandoned += 1
        else:
            assert isinstance(data, uuid.UUID)
            app.complete(data, "done")
        take_offers(at)
    return _figures(len(arrivals), waits, abandoned, sla_seconds)
