"""The timeline's position as its projector reports it (history's relay waits for it):
under `up`, the only projector of its view, it keeps the position it last wrote instead
of reading it back each batch; as one of several (`serve`) it reads the view, and so sees
what another projected."""

from __future__ import annotations

from pathlib import Path

from eventsourcing.persistence import Tracking

from services.history.app import build_history_core
from services.history.projector import TimelineProjector
from switchboard.settings import Settings
from tests.integration.test_inbound_batches import interaction


async def caught_up(projector: TimelineProjector) -> None:
    while not await projector.follower.step():
        pass


def counting_reads(projector: TimelineProjector) -> list[int]:
    reads: list[int] = []
    read = projector.view.position

    def position() -> int:
        reads.append(1)
        return read()

    projector.view.position = position  # type: ignore[method-assign]
    return reads


async def test_the_only_projector_keeps_its_position(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sole_writer=True)
    projector = build_history_core(settings)
    app = projector.app
    reads = counting_reads(projector)
    for n in range(3):
        app.record_interaction(interaction(n), Tracking("history-p0", n + 1))
    await caught_up(projector)
    stored = app.recorder.max_notification_id()
    assert stored and await projector.position() == stored
    assert len(reads) == 1, "read once, at the start; then kept"
    app.record_interaction(interaction(3), Tracking("history-p0", 4))
    await caught_up(projector)
    later = app.recorder.max_notification_id()
    assert later and later > stored
    assert await projector.position() == later == projector.view.position()
    assert len(reads) == 2  # the count above: the view agrees with what was kept
    projector.close()

    again = build_history_core(settings)  # after a restart: read back once
    assert await again.position() == later
    again.close()


async def test_one_of_several_projectors_reads_the_view(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    mine, other = build_history_core(settings), build_history_core(settings)
    for n in range(3):
        other.app.record_interaction(interaction(n), Tracking("history-p0", n + 1))
    assert await mine.position() == 0
    await caught_up(other)
    assert await mine.position() == other.app.recorder.max_notification_id()
    mine.close()
    other.close()
