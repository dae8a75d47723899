"""Erasure by crypto-shredding, with plain calls on an in-memory store (the raw-table
scans on SQLite and PostgreSQL are in tests/integration/test_erasure.py)."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import Tracking

from events import InboundEvent, InteractionReceived, Sender
from services.history.application import CustomerErasedError, HistoryApplication
from services.history.shredding import MAGIC, ErasedPersonalData
from services.history.timeline import TimelineRow, changes_for

positions = iter(range(1, 1_000_000))


def received(text: str, **sender: str) -> InteractionReceived:
    n = next(positions)
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("email", "src", f"m{n}"),
        channel="email",
        source="src",
        external_id=f"m{n}",
        sender=Sender.model_validate(sender),
        text=text,
    )


def test_erased_customers_events_cannot_be_read_and_others_still_can() -> None:
    app = HistoryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for n in range(3):
        app.record_interaction(
            received(f"secret {n}", email="gone@example.com", name="Gone Person"),
            Tracking("INBOUND", next(positions)),
        )
    app.record_interaction(received("stays", email="kept@example.com"), Tracking("INBOUND", 99))
    gone = app.find("email:gone@example.com")
    assert gone is not None
    stored = list(app.recorder.select_notifications(start=None, limit=100))
    personal = [n for n in stored if n.originator_id == gone.customer_id]
    assert personal and all(n.state.startswith(MAGIC) for n in personal)
    assert all(b"gone@example.com" not in n.state for n in stored)  # encrypted, even before

    app.add_note(gone.customer_id, "call back at 5", "alice")
    assert app.erase(gone.customer_id, "ops") == [gone.customer_id]

    stored = list(app.recorder.select_notifications(start=None, limit=100))
    # As followers read them: what the process keeps in the clear went with the key.
    decoded = [app.decoded(n) for n in stored]
    readable = [d for d in decoded if d.originator_id == gone.customer_id]
    assert [type(d).__qualname__ for d in readable if not isinstance(d, ErasedPersonalData)] == [
        "Customer.Erased"
    ]
    rows = [c for n, d in zip(stored, decoded, strict=True) for c in changes_for(n.id, d)]
    assert not [r for r in rows if isinstance(r, TimelineRow) and r.customer_id == gone.customer_id]
    with pytest.raises(CustomerErasedError):
        app.card(gone.customer_id)
    assert app.find("email:gone@example.com") is None
    assert app.find("email:kept@example.com") is not None

    # Whoever writes from that address next is someone new, readable as usual.
    app.record_interaction(received("new", email="gone@example.com"), Tracking("INBOUND", 100))
    again = app.find("email:gone@example.com")
    assert again is not None and again.customer_id != gone.customer_id
    assert again.name is None
