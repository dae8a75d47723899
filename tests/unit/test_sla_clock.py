"""The SLA clock over routing's events: warnings, breaches, the ladder climbing the
hierarchy, pauses, and the same outcomes after a replay (in-memory store, plain calls)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking

from events import (
    ALL_EVENTS,
    ContactCompleted,
    ContactEvent,
    ContactMessageAdded,
    ContactPending,
    ContactQueued,
    Event,
    OfferAccepted,
    ReplyRequested,
)
from schemas.config import SwitchboardConfig
from services.sla.application import FOLLOWED, SlaApplication
from services.sla.contracts import to_contract

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
CONTACT = uuid.uuid4()


def config(**policy: Any) -> SwitchboardConfig:
    return SwitchboardConfig.model_validate(
        {
            "people": [
                {"id": "ann", "name": "Ann", "supervisor": "sue"},
                {"id": "sue", "name": "Sue", "role": "supervisor", "supervisor": "tom"},
                {"id": "tom", "name": "Tom", "role": "supervisor"},
            ],
            "sla": {
                "policies": [
                    {
                        "name": "chat",
                        "match": 'channel == "sms"',
                        "first_response_minutes": 10,
                        "next_response_minutes": 5,
                        "resolution_minutes": 60,
                        "warn_at": [0.5],
                        "breach": [
                            {"action": "notify"},
                            {"action": "escalate", "after_minutes": 2, "levels": 2},
                        ],
                        **policy,
                    }
                ]
            },
        }
    )


class Harness:
    def __init__(self, env: dict[str, str] | None = None, **policy: Any) -> None:
        self.now = T0
        self.position = 0
        self.env = env or {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        self.app = SlaApplication(config(**policy), clock=lambda: self.now, env=self.env)

    def feed(self, event: Event, minutes: float) -> None:
        self.now = T0 + minutes * MIN
        event = event.model_copy(update={"occurred_at": self.now})
        self.position += 1
        self.app.observe(event, Tracking("routing>sla", self.position))

    def fire(self, minutes: float) -> list[Event]:
        self.now = T0 + minutes * MIN
        before = self.app.recorder.max_notification_id() or 0
        self.position += 1
        self.app.fire(CONTACT, Tracking("timers>sla", self.position))
        return self.published(after=before)

    def published(self, after: int = 0) -> list[Event]:
        records = self.app.recorder.select_notifications(after + 1, 1000)
        out = []
        for r in records:
            contract = to_contract(self.app.mapper.to_domain_event(r))
            if contract is not None:
                out.append(contract)
        return out


def queued(channel: str = "sms") -> ContactQueued:
    return ContactQueued(
        contact_id=CONTACT,
        interaction_id=uuid.uuid4(),
        channel=channel,
        queue="default",
        priority=0,
    )


def accepted(agent: str = "ann") -> OfferAccepted:
    return OfferAccepted(
        contact_id=CONTACT, offer_id=uuid.uuid4(), agent_id=agent, waited_seconds=1
    )


def reply() -> ReplyRequested:
    return ReplyRequested(
        contact_id=CONTACT,
        reply_id=uuid.uuid4(),
        agent_id="ann",
        text="hi",
        channel="sms",
        origin={},
    )


def customer() -> ContactMessageAdded:
    return ContactMessageAdded(
        contact_id=CONTACT, interaction_id=uuid.uuid4(), agent_id="ann", summary="?"
    )


def summary(events: list[Event]) -> list[tuple[str, Any]]:
    return [
        (e.type_name(), getattr(e, "to_person_id", getattr(e, "holder_id", None))) for e in events
    ]


def test_breach_climbs_the_hierarchy_rung_by_rung_once() -> None:
    h = Harness()
    h.feed(queued(), 0)
    h.feed(accepted(), 1)
    assert h.app.next_deadline(CONTACT) == T0 + 5 * MIN
    assert summary(h.fire(5)) == [("SlaWarned", "ann")]
    assert summary(h.fire(10)) == [("SlaBreached", "ann"), ("SlaNotified", "ann")]
    notified = h.published()[-1]
    assert getattr(notified, "supervisor_id", None) == "sue"
    assert summary(h.fire(12)) == [("SlaEscalated", "sue")]
    assert summary(h.fire(14)) == [("SlaEscalated", "tom")]
    assert h.fire(14) == []  # a repeated fire doubles nothing
    # Resolution's own warning is next (30 min): the first-response ladder is done.
    assert h.app.next_deadline(CONTACT) == T0 + 30 * MIN
    h.feed(reply(), 15)
    fulfilled = h.published()[-1]
    assert fulfilled.type_name() == "SlaFulfilled" and getattr(fulfilled, "late", None) is True


def test_late_timer_still_records_the_breach_before_the_reply() -> None:
    h = Harness()
    h.feed(queued(), 0)
    h.feed(accepted(), 1)
    h.feed(reply(), 11)  # no timer fired at 5 or 10
    kinds = [e.type_name() for e in h.published()]
    assert kinds == ["SlaWarned", "SlaBreached", "SlaNotified", "SlaFulfilled"]


def test_customer_reply_while_pending_restarts_next_response() -> None:
    h = Harness()
    h.feed(queued(), 0)
    h.feed(accepted(), 1)
    h.feed(reply(), 2)
    h.feed(customer(), 3)  # next response cycle 0: due at 8
    h.feed(reply(), 4)
    h.feed(ContactPending(contact_id=CONTACT, agent_id="ann", resolve_at=None), 4)
    # Pending: resolution pauses, nothing is due (first response met, no open next response).
    assert h.app.next_deadline(CONTACT) is None
    h.feed(customer(), 100)  # resumes, opens next response cycle 1 at 100
    assert h.app.deadlines(CONTACT)["next_response"] == T0 + 105 * MIN
    # Resolution used 4 minutes before the pause: 56 left from 100.
    assert h.app.deadlines(CONTACT)["resolution"] == T0 + 156 * MIN
    assert h.app.next_deadline(CONTACT) == T0 + 102.5 * MIN


def test_resolution_fulfils_everything_and_stops_the_clock() -> None:
    h = Harness()
    h.feed(queued(), 0)
    h.feed(accepted(), 1)
    h.feed(ContactCompleted(contact_id=CONTACT, agent_id="ann", disposition="done"), 3)
    assert h.app.next_deadline(CONTACT) is None
    assert [e.type_name() for e in h.published()] == ["SlaFulfilled", "SlaFulfilled"]


def test_contacts_no_policy_matches_have_no_clock() -> None:
    h = Harness()
    h.feed(queued(channel="email"), 0)
    assert h.app.get(CONTACT) is None


def test_replay_gives_the_same_outcomes(tmp_path: Path) -> None:
    store = str(tmp_path / "sla.sqlite")
    h = Harness(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": store})
    h.feed(queued(), 0)
    h.feed(accepted(), 1)
    h.fire(12)
    clock = h.app.get(CONTACT)
    assert clock is not None
    # A fresh application on the same stored events: same timeline, same steps done.
    replayed = SlaApplication(config(), clock=lambda: h.now, env=h.env)
    again = replayed.get(CONTACT)
    assert again is not None
    assert again.done == clock.done
    assert replayed.next_deadline(CONTACT) == h.app.next_deadline(CONTACT) == T0 + 14 * MIN


def test_policies_match_on_request_type_and_tier() -> None:
    h = Harness(match='request_type == "complaint" or tier == "vip"')
    h.feed(queued(), 0)
    assert h.app.get(CONTACT) is None  # no type, no tier: the policy does not apply
    for update in ({"request_type": "complaint"}, {"tier": "vip"}):
        other = Harness(match='request_type == "complaint" or tier == "vip"')
        other.feed(queued().model_copy(update=update), 0)
        clock = other.app.get(CONTACT)
        assert clock is not None and clock.policy == "chat"


def test_only_the_events_its_consumer_takes_change_a_clock() -> None:
    """sla-contacts takes only FOLLOWED of routing's events: any other, fed while no step
    is due, must leave the clock as it was (a branch added to `observe` for an event left
    out of FOLLOWED fails here)."""
    h = Harness()
    h.feed(queued(), 0)
    h.feed(accepted(), 0.5)
    recorded = h.app.recorder.max_notification_id()
    others = [
        e
        for e in ALL_EVENTS
        if issubclass(e, ContactEvent)
        and e.subject.startswith("sb.events.routing.")
        and e not in FOLLOWED
    ]
    assert len(others) > 10
    for kind in others:
        h.feed(kind.model_construct(contact_id=CONTACT, occurred_at=T0), 1)
    assert h.app.recorder.max_notification_id() == recorded
    assert [type(e).__name__ for e in h.fire(6)] == ["SlaWarned"]  # its timer still takes it
