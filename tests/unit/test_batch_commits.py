"""A batch of commands is one transaction with one tracking record: all of it or nothing,
and a redelivered message at or below the batch's last position is done."""

from __future__ import annotations

from pathlib import Path

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, Tracking

from switchboard.settings import Settings
from switchboard.store import TrackedApplication
from tests.support.stores import tracked_store


class Tally(Aggregate):
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Counted")
    def count_one(self) -> None:
        self.count += 1


def store(tmp_path: Path) -> TrackedApplication:
    return tracked_store(Settings(data_dir=tmp_path), "routing")


def at(position: int) -> Tracking:
    return Tracking("stream:INBOUND>routing-p0", position)


def test_a_batch_records_every_command_with_its_last_position(tmp_path: Path) -> None:
    app = store(tmp_path)
    woken: list[int] = []
    app.committed.append(lambda: woken.append(1))
    with app.batch():
        for position in (3, 7, 12):
            app.commit(Tally(f"t{position}"), tracking=at(position))
        assert app.ping() == 0  # nothing stored until the batch ends
    assert app.ping() == 3 and woken == [1]  # one transaction, one wake-up
    assert all(app.is_processed(at(p)) for p in (3, 7, 12))
    assert not app.is_processed(at(13))
    app.close()


def test_a_failing_batch_records_nothing(tmp_path: Path) -> None:
    app = store(tmp_path)
    with pytest.raises(RuntimeError), app.batch():
        app.commit(Tally("a"), tracking=at(1))
        raise RuntimeError("the second message failed")
    assert app.ping() == 0 and not app.is_processed(at(1))
    app.commit(Tally("a"), tracking=at(1))  # decided again on its own
    assert app.ping() == 1
    app.close()


def test_a_batch_that_cannot_start_leaves_later_commits_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database away as a batch asks which of its ids are absent: the batch fails, and
    a command after it (an offer's deadline on the same thread) is stored, not collected
    into a batch nobody will store (CI saw an offer never expire so)."""
    app = store(tmp_path)

    def away(*_: object) -> frozenset[object]:
        raise OSError("the database went away")

    monkeypatch.setattr("switchboard.store.absent_ids", away)
    with pytest.raises(OSError), app.batch(expect=[Tally("x").id]):
        pass
    monkeypatch.undo()
    app.commit(Tally("after"), tracking=at(5))
    assert app.ping() == 1 and app.is_processed(at(5))
    app.close()


def test_two_commands_changing_one_aggregate_in_a_batch_are_refused(tmp_path: Path) -> None:
    """Both read the aggregate as stored before the batch: the store refuses the second
    version 2 as it would two replicas racing, and the batch is decided again one by one."""
    app = store(tmp_path)
    tally = Tally("shared")
    app.commit(tally, tracking=at(1))
    with pytest.raises(IntegrityError), app.batch():
        for position in (2, 3):
            copy: Tally = app.repository.get(tally.id)
            copy.count_one()
            app.commit(copy, tracking=at(position))
    assert not app.is_processed(at(2))
    assert app.repository.get(tally.id).count == 0
    app.close()


def test_with_own_writes_a_batch_reads_what_it_changed(tmp_path: Path) -> None:
    """Events about one customer in a row: each command reads the aggregate as the ones
    before it left it, so the batch stores versions 2, 3, 4 in one transaction; a failure
    still records nothing, and a command's uncommitted change does not leak to the next."""
    app = store(tmp_path)
    tally = Tally("shared")
    app.commit(tally, tracking=at(1))
    with app.batch(own_writes=True):
        for position in (2, 3, 4):
            copy: Tally = app.repository.get(tally.id)
            copy.count_one()
            app.commit(copy, tracking=at(position))
        dropped: Tally = app.repository.get(tally.id)
        dropped.count_one()  # never committed
        assert app.repository.get(tally.id).count == 3
    assert app.repository.get(tally.id).count == 3 and app.is_processed(at(4))
    with pytest.raises(RuntimeError), app.batch(own_writes=True):
        again: Tally = app.repository.get(tally.id)
        again.count_one()
        app.commit(again, tracking=at(5))
        raise RuntimeError("killed before the commit")
    assert app.repository.get(tally.id).count == 3 and not app.is_processed(at(5))
    app.close()
