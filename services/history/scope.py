"""Whose customers each caller may read and change.

An agent: the customers whose contacts were offered to them or held by them (any contact
event on the timeline naming them), and those they own. A supervisor: the customers of
anyone in their subtree (themselves included), and those that waited in a queue
supervised by someone in it. An integrator: every customer when its token has the
`customers` scope, none otherwise. An admin: all.

What decides is the timeline: the read model of history's own store, fed by routing's
public events; so the scope is event-sourced and rebuilt with the timeline. An agent's
desk hears of an offer at about the time history records it: while history has routing
events it has not yet put on the timeline, a refusal waits for them before it is final.
Routing's own API shows an offer once routing stored it, a moment before its relay puts it
on EVENTS, where history cannot yet see it; so even a caught-up refusal waits until the
timeline has been still for `settle_seconds`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from events import ContactEvent
from schemas.api import CustomerView
from services.history.timeline import TimelineRow, TimelineView
from switchboard.auth import Authenticator, Principal
from switchboard.errors import Forbidden
from switchboard.scopes import queue_supervisors, token_scopes
from switchboard.serial import SerialExecutor

# The fields of routing's contact events that name a person, and the one naming a queue.
PERSON_FIELDS = ("agent_id", "from_agent_id", "to_person_id")
QUEUE_FIELD = "queue"


def _contact_events() -> list[type[ContactEvent]]:
    found: list[type[ContactEvent]] = []
    frontier: list[type[ContactEvent]] = [ContactEvent]
    while frontier:
        cls = frontier.pop()
        found.append(cls)
        frontier += cls.__subclasses__()
    return found


# Derived from the contracts, so a new contact event naming an agent counts at once.
SCOPE_KINDS = frozenset(
    cls.type_name()
    for cls in _contact_events()
    if set(cls.model_fields) & {*PERSON_FIELDS, QUEUE_FIELD}
)


@dataclass(frozen=True)
class Involvement:
    """Who handled a customer's contacts, and in which queues they waited."""

    people: frozenset[str]
    queues: frozenset[str]


def involvement(rows: Iterable[TimelineRow]) -> Involvement:
    people: set[str] = set()
    queues: set[str] = set()
    for row in rows:
        if row.kind not in SCOPE_KINDS:
            continue
        people.update(v for f in PERSON_FIELDS if isinstance(v := row.data.get(f), str) and v)
        if isinstance(queue := row.data.get(QUEUE_FIELD), str) and queue:
            queues.add(queue)
    return Involvement(frozenset(people), frozenset(queues))


class CustomerScope:
    """Answers, per request, whether a caller may see a customer's card and timeline."""

    def __init__(
        self,
        auth: Authenticator,
        view: TimelineView,
        view_run: SerialExecutor,
        behind: Callable[[], Awaitable[bool]],
        grace_seconds: float = 3.0,
        settle_seconds: float = 0.5,
    ) -> None:
        self.auth = auth
        self.view = view
        self.view_run = view_run
        # Whether history has routing events not yet on the timeline: a refusal waits (up to
        # `grace_seconds`) for them, and, caught up, for the timeline to be still for
        # `settle_seconds` (an offer routing stored but has not yet relayed).
        self.behind = behind
        self.grace = grace_seconds
        self.settle = settle_seconds
        self.queues = queue_supervisors(auth.config)
        self._projected = asyncio.Event()

    def projected(self) -> None:
        """The timeline moved on: refusals waiting for it look again."""
        self._projected.set()
        self._projected = asyncio.Event()

    async def involvement(self, customer_id: uuid.UUID) -> Involvement:
        rows = await self.view_run(self.view.rows_of_kinds, customer_id, SCOPE_KINDS)
        return involvement(rows)

    def sees_all(self, principal: Principal) -> bool:
        if principal.role == "admin":
            return True
        return principal.role == "integrator" and "customers" in token_scopes(
            self.auth.config, principal
        )

    async def may_read(self, principal: Principal, card: CustomerView) -> bool:
        if self.sees_all(principal):
            return True
        if principal.role not in ("agent", "supervisor"):
            return False
        if card.owner_id is not None and self.auth.manages(principal, card.owner_id):
            return True
        seen = await self.involvement(card.customer_id)
        if any(self.auth.manages(principal, person) for person in seen.people):
            return True
        if principal.role != "supervisor":
            return False
        if card.owner_id is None and not seen.people and not seen.queues:
            # Nobody was offered or owns them: a customer an unverified identity made on its
            # own (services/history/identity_policy) holding only that identity, which
            # supervisors see to decide its merge suggestion.
            return True
        supervisors = {self.queues[q] for q in seen.queues if q in self.queues}
        return any(self.auth.manages(principal, s) for s in supervisors)

    async def require(self, principal: Principal, card: CustomerView) -> None:
        """403 unless `principal` may see the card, once the timeline holds every routing
        event history was sent (an offer the desk heard of first is then on it)."""
        deadline = time.monotonic() + self.grace
        last_look = principal.role == "integrator"
        while True:
            projected = self._projected  # before the look: a projection during it wakes us
            if await self.may_read(principal, card):
                return
            remaining = deadline - time.monotonic()
            if last_look or remaining <= 0:
                raise Forbidden(
                    f"{principal.id} may not see customer {card.customer_id}: "
                    "never offered to them or their team"
                )
            caught_up = not await self._behind()
            try:
                await asyncio.wait_for(
                    projected.wait(), min(self.settle, remaining) if caught_up else remaining
                )
            except TimeoutError:
                # Still for the whole settle: what was relayed is on it; one more look.
                last_look = caught_up

    async def _behind(self) -> bool:
        try:
            return await self.behind()
        except Exception:  # cannot tell: wait out the grace as if it were
            return True

    async def visible(
        self, principal: Principal, cards: Iterable[CustomerView]
    ) -> list[CustomerView]:
        """The cards `principal` may see, in order (no waiting: a search is a look-up)."""
        return [card for card in cards if await self.may_read(principal, card)]

    def require_note_author(self, principal: Principal, author: str) -> None:
        """Notes are changed by their author, someone above the author, or an admin."""
        if not self.auth.manages(principal, author):
            raise Forbidden(f"{principal.id} may not change a note by {author}")
