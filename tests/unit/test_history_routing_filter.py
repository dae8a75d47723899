"""history-routing takes only routing's contact events (ROUTING_CONTACT_EVENTS): each
routing event it leaves out must be one history would only have passed."""

from __future__ import annotations

import uuid

from eventsourcing.persistence import Tracking

from events import ALL_EVENTS
from services.history.application import HistoryApplication
from services.history.handlers import ROUTING_CONTACT_EVENTS, HistoryHandlers
from switchboard.serial import SerialExecutor


def test_what_history_routing_leaves_out_would_record_nothing() -> None:
    app = HistoryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    run = SerialExecutor("history")
    try:
        handlers = HistoryHandlers(app, run)
        left_out = [
            e
            for e in ALL_EVENTS
            if e.subject.startswith("sb.events.routing.") and e not in ROUTING_CONTACT_EVENTS
        ]
        assert {e.__name__ for e in left_out} >= {"ContactOpened", "AgentStatusChanged"}
        for position, kind in enumerate(left_out, start=1):
            event = kind.model_construct(contact_id=uuid.uuid4(), agent_id="ann")
            handlers.decide_contact_event(event, Tracking("routing>history-routing", position))
        assert app.recorder.max_notification_id() in (None, 0)
    finally:
        run.shutdown()
