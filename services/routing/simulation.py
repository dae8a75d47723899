"""The real routing code under a virtual clock: Poisson arrivals, exponential handling.

Agents accept every offer at once (the queueing model behind Erlang C), so what is measured
is how routing shares the agents: service level, average speed of answer, probability of
waiting, occupancy. Abandonment is not modelled (callers are patient), so it is always 0.

With an owner share, that fraction of arrivals are customers owned by one agent (agent000),
identified as history would (CustomerIdentified with owner_id): what account owners cost
the service level, against the same arrivals without owners.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eventsourcing.persistence import Tracking

from events import (
    CustomerIdentified,
    InboundEvent,
    InteractionReceived,
    Sender,
    contact_id_for,
)
from schemas.config import Person, RoutingConfig
from schemas.sla_config import SlaConfig
from services.routing.application import RoutingApplication
from services.sla.simulation import SimulatedSla


@dataclass(frozen=True)
class Scenario:
    arrivals_per_hour: float
    mean_handle_seconds: float
    agents: int
    sla_seconds: float = 20.0
    hours: float = 8.0
    seed: int = 1
    owner_share: float = 0.0  # of arrivals, owned by agent000
    # SLA policies run beside routing (services/sla/simulation.py): the breach rate.
    sla: SlaConfig | None = None


@dataclass(frozen=True)
class Outcome:
    contacts: int
    service_level: float
    average_speed_of_answer: float
    probability_of_waiting: float
    occupancy: float
    abandonment: float = 0.0
    owned: int = 0  # contacts of owned customers answered
    owned_by_owner: float = 0.0  # share of those the owner answered
    sla_breach_rate: float | None = None  # of contacts an SLA policy applied to


class VirtualClock:
    def __init__(self) -> None:
        self.start = datetime(2026, 1, 1, tzinfo=UTC)
        self.now = self.start

    def __call__(self) -> datetime:
        return self.now


def simulate(s: Scenario) -> Outcome:
    rng = random.Random(s.seed)
    # Its own stream: the same seed gives the same arrivals whatever the owner share.
    owning = random.Random(s.seed + 1)
    owner = "agent000"
    clock = VirtualClock()
    names = [f"agent{i:03d}" for i in range(s.agents)]
    app = RoutingApplication(
        [Person(id=n, name=n) for n in names],
        # Offers never lapse and nobody climbs: the model has no patience limits.
        RoutingConfig(offer_timeout_seconds=1e9, max_wait_seconds=1e9, identify_timeout_seconds=0),
        clock=clock,
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
    )
    for name in names:
        app.set_status(name, "available")
    people = [Person(id=n, name=n) for n in names]
    sla = SimulatedSla(s.sla, people, clock) if s.sla is not None else None
    scheduled: dict[uuid.UUID, float] = {}  # the SLA deadline each contact has in the heap
    positions = itertools.count(1)
    events: list[tuple[float, int, str, object]] = []
    order = itertools.count()
    rate = s.arrivals_per_hour / 3600.0
    horizon = s.hours * 3600.0
    t = rng.expovariate(rate)
    while t < horizon:
        heapq.heappush(events, (t, next(order), "arrive", None))
        t += rng.expovariate(rate)

    arrived: dict[uuid.UUID, float] = {}
    owned: set[uuid.UUID] = set()
    by_owner = 0
    waits: list[float] = []
    busy_seconds = 0.0

    def take_offers(now: float) -> None:
        nonlocal busy_seconds, by_owner
        for name in names:
            for offer in app.offers_for(name):
                contact = app.accept(offer.offer_id)
                waits.append(now - arrived[contact.contact_id])
                by_owner += name == owner and contact.contact_id in owned
                handle = rng.expovariate(1.0 / s.mean_handle_seconds)
                busy_seconds += min(handle, max(0.0, horizon - now))
                heapq.heappush(events, (now + handle, next(order), "done", contact.contact_id))

    while events:
        at, _, kind, data = heapq.heappop(events)
        clock.now = clock.start + timedelta(seconds=at)
        if kind == "arrive":
            n = next(positions)
            interaction = InteractionReceived(
                interaction_id=InboundEvent.id_for("voice", "sim", str(n)),
                channel="voice",
                source="sim",
                external_id=str(n),
                sender=Sender(),
            )
            contact_id = contact_id_for(interaction.interaction_id)
            arrived[contact_id] = at
            if owning.random() < s.owner_share:
                owned.add(contact_id)
                app.identified(owned_customer(interaction, owner), Tracking("sim-history", n))
            app.receive(interaction, Tracking("sim", n))
        elif kind == "sla":
            assert isinstance(data, uuid.UUID) and sla is not None
            sla.fire(data)
        else:
            assert isinstance(data, uuid.UUID)
            app.complete(data, "done")
        take_offers(at)  # the float time: the datetime clock rounds to microseconds
        if sla is not None:
            touched = sla.follow(app)
            if isinstance(data, uuid.UUID):
                touched.add(data)
            for contact_id in touched:
                due = sla.next_deadline(contact_id)
                if due is None:
                    continue
                when = max(at, (due - clock.start).total_seconds())
                if kind == "sla" and contact_id == data:
                    when = max(when, at + 0.001)  # microsecond rounding must not spin
                if scheduled.get(contact_id) != when:
                    scheduled[contact_id] = when
                    heapq.heappush(events, (when, next(order), "sla", contact_id))

    answered = len(waits)
    return Outcome(
        contacts=answered,
        service_level=sum(w <= s.sla_seconds for w in waits) / answered if answered else 1.0,
        average_speed_of_answer=sum(waits) / answered if answered else 0.0,
        probability_of_waiting=sum(w > 0 for w in waits) / answered if answered else 0.0,
        occupancy=busy_seconds / (s.agents * horizon),
        owned=len(owned),
        owned_by_owner=by_owner / len(owned) if owned else 0.0,
        sla_breach_rate=sla.breach_rate(list(arrived)) if sla is not None else None,
    )


def owned_customer(interaction: InteractionReceived, owner: str) -> CustomerIdentified:
    """What history says of an owned customer's interaction (before routing opens it)."""
    contact_id = contact_id_for(interaction.interaction_id)
    return CustomerIdentified(
        customer_id=uuid.uuid5(contact_id, "customer"),
        interaction_id=interaction.interaction_id,
        contact_id=contact_id,
        identities=[],
        is_new_customer=False,
        owner_id=owner,
    )


def erlang_c(s: Scenario) -> Outcome:
    """The closed form for one FIFO queue of identical agents and patient callers."""
    load = s.arrivals_per_hour * s.mean_handle_seconds / 3600.0  # offered traffic, Erlangs
    n = s.agents
    if load >= n:
        raise ValueError(f"unstable: {load:.2f} Erlangs offered to {n} agents")
    top = load**n / math.factorial(n) * n / (n - load)
    bottom = sum(load**k / math.factorial(k) for k in range(n)) + top
    p_wait = top / bottom
    return Outcome(
        contacts=round(s.arrivals_per_hour * s.hours),
        service_level=1 - p_wait * math.exp(-(n - load) * s.sla_seconds / s.mean_handle_seconds),
        average_speed_of_answer=p_wait * s.mean_handle_seconds / (n - load),
        probability_of_waiting=p_wait,
        occupancy=load / n,
    )
