"""The recent log hands out only what the store would: a run of consecutive ids, the
newest kept, nothing once another writer's ids fall in between or a key is dropped."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.persistence import Notification, Recording

from switchboard.recent_log import RecentLog

OWNER = uuid.uuid4()


class Stored:
    def __init__(self, version: int) -> None:
        self.originator_version = version


def recordings(*ids: int) -> list[Recording[Any]]:
    return [
        Recording(
            Stored(n),  # type: ignore[arg-type]
            Notification(id=n, originator_id=OWNER, originator_version=n, topic="t", state=b""),
        )
        for n in ids
    ]


def test_it_hands_out_the_run_after_a_position() -> None:
    log = RecentLog()
    log.add(recordings(5, 6, 7))
    log.add(recordings(8))
    found = log.after(5, 10)
    assert found is not None and [n.id for n in found] == [6, 7, 8]
    limited = log.after(4, 2)
    assert limited is not None and [n.id for n in limited] == [5, 6]
    assert log.after(3, 10) is None, "4 is not here: read the store"
    assert log.after(8, 10) is None, "nothing after the last"
    event = log.event(found[0])
    assert event is not None and event.originator_version == 6


def test_another_writers_ids_in_between_start_a_new_run() -> None:
    log = RecentLog()
    log.add(recordings(1, 2))
    log.add(recordings(4, 5))  # 3 was another replica's
    assert log.after(1, 10) is None
    assert log.after(2, 10) is None
    found = log.after(3, 10)
    assert found is not None and [n.id for n in found] == [4, 5]
    log.add(recordings(6, 8))  # a gap inside one commit too (a sequence that skipped)
    assert log.after(5, 10) is None
    found = log.after(7, 10)
    assert found is not None and [n.id for n in found] == [8]


def test_an_event_is_only_given_for_the_version_stored() -> None:
    log = RecentLog()
    log.add(recordings(1))
    other = Notification(id=1, originator_id=OWNER, originator_version=9, topic="t", state=b"")
    assert log.event(other) is None


def test_it_keeps_the_newest_and_forgets_all_when_cleared() -> None:
    log = RecentLog(size=3)
    log.add(recordings(*range(1, 11)))
    log.add(recordings(11))
    found = log.after(8, 10)
    assert found is not None and [n.id for n in found] == [9, 10, 11]
    assert log.after(2, 10) is None
    log.clear()
    assert log.after(10, 10) is None


def test_it_ends_where_this_process_last_stored_only_with_nothing_out_of_order() -> None:
    log = RecentLog()
    assert not log.ends_at(0), "nothing kept: it cannot say"
    log.add(recordings(1, 2, 3))
    assert log.ends_at(3)
    assert not log.ends_at(2), "3 follows"
    log.add(recordings(5))  # 4 was another writer's
    assert log.ends_at(5) and not log.ends_at(3)
    # Two threads' commits added in the opposite order of their ids: memory ends at 6
    # while 7 is stored, so it must not say that nothing follows 6.
    log.add(recordings(7))
    log.add(recordings(6))
    assert not log.ends_at(6) and not log.ends_at(7)
    log.add(recordings(8))  # a new run: 8 is the newest there is again
    assert log.ends_at(8)
    assert log.after(6, 10) is None and not log.ends_at(6), "7 is the store's to give"
    log.clear()
    assert not log.ends_at(8)
