"""Inside a batch, ids found absent in one query read as absent without the store; one
created by another writer meanwhile makes the store refuse the batch (nothing doubled)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Tracking

from switchboard.settings import Settings
from tests.support.stores import tracked_store


class Marker(Aggregate):
    def __init__(self, name: str) -> None:
        self.name = name

    @staticmethod
    def create_id(name: str) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"marker/{name}")


@pytest.fixture(params=["sqlite", "postgres"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    settings = Settings(data_dir=tmp_path)
    if request.param == "postgres":
        settings = Settings(data_dir=tmp_path, database_url=request.getfixturevalue("postgres_url"))
    tracked = tracked_store(settings, "routing")
    yield tracked
    tracked.close()


def at(position: int) -> Tracking:
    return Tracking("stream:INBOUND>routing-p0", position)


def test_absent_ids_are_not_read_and_present_ones_are(app: Any) -> None:
    old = Marker("old")
    app.commit(old, tracking=at(1))
    new_id = Marker.create_id("new")
    reads: list[Any] = []
    select = app.recorder.select_events

    def counted(originator_id: Any, **kwargs: Any) -> Any:
        reads.append(originator_id)
        return select(originator_id, **kwargs)

    app.recorder.select_events = counted

    seen_elsewhere: list[bool] = []

    def other_thread() -> None:  # not the batch's thread: reads the store as usual
        try:
            app.repository.get(new_id)
        except AggregateNotFoundError:
            seen_elsewhere.append(True)

    with app.batch(expect=[old.id, new_id]):
        assert app.repository.get(old.id).name == "old"
        with pytest.raises(AggregateNotFoundError):
            app.repository.get(new_id)
        assert new_id not in reads
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        app.commit(Marker("new"), tracking=at(2))
    assert seen_elsewhere == [True] and new_id in reads
    assert app.repository.get(new_id).name == "new"  # after the batch: read from the store
    assert app.is_processed(at(2))


def test_one_created_meanwhile_makes_the_batch_refused(app: Any) -> None:
    new_id = Marker.create_id("raced")
    with pytest.raises(IntegrityError), app.batch(expect=[new_id]):
        racer = threading.Thread(target=lambda: app.commit(Marker("raced"), tracking=at(5)))
        racer.start()
        racer.join()  # another writer stored it after the batch asked
        with pytest.raises(AggregateNotFoundError):
            app.repository.get(new_id)  # as the store was when the batch began
        app.commit(Marker("raced"), tracking=at(6))
    assert not app.is_processed(at(6))
    assert app.recorder.select_events(new_id) and len(app.recorder.select_events(new_id)) == 1
