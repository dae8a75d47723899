"""A store's only writer (`up`) knows from memory that nothing follows what it last stored,
so its followers and routing's board need not read the store to find that out; a store
that other processes may write is still asked (switchboard/store.py, kept_after)."""

from __future__ import annotations

from pathlib import Path

import pytest
from eventsourcing.domain import Aggregate

from switchboard.settings import Settings
from switchboard.store import TrackedApplication
from tests.support.stores import tracked_store


class Note(Aggregate):
    def __init__(self, text: str) -> None:
        self.text = text


def store(tmp_path: Path, sole_writer: bool) -> TrackedApplication:
    return tracked_store(Settings(data_dir=tmp_path, sole_writer=sole_writer), "history")


def test_the_sole_writer_says_nothing_follows_its_last_write(tmp_path: Path) -> None:
    app = store(tmp_path, sole_writer=True)
    assert app.kept_after(0, 10) is None, "nothing stored by it yet: the store must say"
    app.commit(Note("a"), Note("b"))
    kept = app.kept_after(0, 10)
    assert kept is not None and [n.id for n in kept] == [1, 2]
    assert app.kept_after(2, 10) == [] and app.notifications_after(2, 10) == []
    assert app.kept_after(5, 10) is None, "ahead of what it stored: not its to say"
    app.close()


def test_a_store_others_may_write_is_asked(tmp_path: Path) -> None:
    app = store(tmp_path, sole_writer=False)
    app.commit(Note("a"))
    assert app.kept_after(1, 10) is None
    other = store(tmp_path, sole_writer=False)  # a replica, on the same database
    other.commit(Note("b"))
    found = app.notifications_after(1, 10)
    assert [n.id for n in found] == [2]
    other.close()
    app.close()


def test_memory_is_kept_even_when_what_follows_the_commit_fails(tmp_path: Path) -> None:
    app = store(tmp_path, sole_writer=True)

    def broken(*_: object) -> None:
        raise RuntimeError("failed after the commit")

    app.causes.recorded = broken  # type: ignore[method-assign, assignment]
    with pytest.raises(RuntimeError):
        app.commit(Note("a"))
    # Stored, so memory must hold it: else it would say it ends at 0 while 1 is stored.
    kept = app.kept_after(0, 10)
    assert kept is not None and [n.id for n in kept] == [1]
    app.close()
