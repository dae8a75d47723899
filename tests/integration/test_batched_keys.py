"""A batch's new per-owner keys are created in one key-table transaction, not one each,
on SQLite and PostgreSQL; a batch that fails after creating them leaves no events, and
deciding it again reuses the keys (every event stays readable)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import Tracking

from events import InboundEvent, InteractionReceived, Sender
from schemas.config import QueueConfig, RoutingConfig
from services.history.application import HistoryApplication
from services.history.shredding import MAGIC
from services.routing.application import RoutingApplication
from switchboard.settings import Settings
from switchboard.store import event_store_env
from tests.support.clock import Clock
from tests.unit.test_routing_owner_steps import TEAMS, owned
from tests.unit.test_routing_queues import contact_of, interaction


def received(n: int) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("web", "form", f"k{n}"),
        channel="web",
        source="form",
        external_id=f"k{n}",
        sender=Sender.model_validate({"email": f"c{n}@example.com"}),
        text=f"hello {n}",
    )


def at(position: int) -> Tracking:
    return Tracking("stream:INBOUND>history-p0", position)


class Counting:
    """Counts the key table's write transactions."""

    def __init__(self, table: Any) -> None:
        self.inserts = 0
        self.insert_many_calls = 0
        insert, insert_many = table.insert, table.insert_many

        def one(*args: Any) -> None:
            self.inserts += 1
            insert(*args)

        def many(*args: Any) -> None:
            self.insert_many_calls += 1
            insert_many(*args)

        table.insert, table.insert_many = one, many


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path)
    url = request.getfixturevalue("postgres_url")
    return Settings(data_dir=tmp_path, database_url=url)


def test_a_batch_creates_its_keys_together_and_a_failed_batch_reuses_them(
    settings: Settings,
) -> None:
    app = HistoryApplication(env=event_store_env(settings, "history"))
    writes = Counting(app.keys.table)

    with pytest.raises(RuntimeError), app.batch():
        for n in range(1, 11):
            app.record_interaction(received(n), at(n))
        raise RuntimeError("killed before the commit")
    assert app.ping() == 0  # no events, whatever keys were made

    app.keys._cache.clear()  # as after a restart: the keys come from the table
    with app.batch():
        for n in range(1, 11):
            app.record_interaction(received(n), at(n))
    assert writes.inserts == 0 and writes.insert_many_calls == 1
    assert all(app.is_processed(at(n)) for n in range(1, 11))
    stored = list(app.recorder.select_notifications(start=None, limit=1000))
    assert any(s.state.startswith(MAGIC) for s in stored)
    app.keys._cache.clear()
    for n in range(1, 11):
        found = app.find(f"email:c{n}@example.com")
        assert found is not None and f"c{n}@example.com" in found.model_dump_json()
    app.close()


def test_a_contact_named_before_it_opens_in_a_batch_keeps_its_customer_link(
    tmp_path: Path,
) -> None:
    """History can name a contact before routing opens it; opened inside a batch, its key
    row is only made when the batch is stored, and the link an erasure looks up by must
    not be lost on the way."""
    clock = Clock()
    config = RoutingConfig(identify_timeout_seconds=2, queues=[QueueConfig(name="default")])
    env = event_store_env(Settings(data_dir=tmp_path), "routing")
    app = RoutingApplication(TEAMS, config, "sam", clock=clock, env=env)
    named = owned(1, None)
    app.identified(named, at(1))
    with app.batch():
        app.receive(interaction(1), at(2))
    assert app.keys.table.owners_of([named.customer_id]) == [contact_of(1)]
    app.close()
