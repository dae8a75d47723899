"""History deciding a batch of INBOUND (switchboard/inbound_consumers.py reads it with own
writes): one customer's quick messages in one batch are recorded exactly as one at a time."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from events import InteractionReceived
from services.history.application import HistoryApplication
from switchboard.settings import Settings
from switchboard.store import event_store_env
from tests.unit.test_identity_resolution import received

PHONE = "+4915112345678"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def messages() -> list[InteractionReceived]:
    """Two texts, a mail, then one signed by both: the last suggests a merge."""
    return [
        received(1, channel="sms", phone=PHONE),
        received(2, channel="sms", phone=PHONE),
        received(3, channel="email", email="ana@example.com"),
        received(4, channel="sms", phone=PHONE, email="ana@example.com"),
    ]


def history(path: Path) -> HistoryApplication:
    return HistoryApplication(env=event_store_env(Settings(data_dir=path), "history"))


def recorded(
    app: HistoryApplication,
    batch: contextlib.AbstractContextManager[None],
    sent: list[InteractionReceived],
) -> None:
    with batch:
        for n, message in enumerate(sent, start=1):
            app.record_interaction(message, Tracking("stream:INBOUND>history-p0", n))


def stored(app: HistoryApplication) -> Iterator[str]:
    """Every stored event, its new customers' random ids named in order of appearance."""
    names: dict[str, str] = {}
    for notification in app.recorder.select_notifications(start=1, limit=1000):
        event = app.mapper.to_domain_event(notification)
        fields = {k: v for k, v in vars(event).items() if k != "timestamp"}
        text = f"{type(event).__qualname__} {sorted(fields.items(), key=str)}"
        yield UUID.sub(lambda m: names.setdefault(m.group(0), f"id{len(names)}"), text)


def test_one_customers_messages_in_one_batch_are_recorded_as_one_at_a_time(
    tmp_path: Path,
) -> None:
    alone, batched = history(tmp_path / "alone"), history(tmp_path / "batched")
    sent = messages()
    recorded(alone, contextlib.nullcontext(), sent)
    recorded(batched, batched.batch(own_writes=True), sent)
    assert list(stored(batched)) == list(stored(alone))
    card = batched.find(f"phone:{PHONE}")
    assert card is not None and card.identities == [f"phone:{PHONE}"]


def test_without_own_writes_the_store_refuses_such_a_batch_whole(tmp_path: Path) -> None:
    """Why INBOUND batches read their own writes: the second text claims the number again
    for a new customer, and the batch was decided again one message at a time."""
    app = history(tmp_path)
    with pytest.raises(IntegrityError):
        recorded(app, app.batch(), messages())
    assert app.find(f"phone:{PHONE}") is None
