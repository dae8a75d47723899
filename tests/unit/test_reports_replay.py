"""What-if on recorded history: the real routing code replays the window's contacts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schemas.config import Person, RoutingConfig
from services.reports.app import build_reports_core
from services.reports.contact_row import ContactRow
from services.reports.replay import actual, arrivals_from, replay
from switchboard.cli import main
from switchboard.settings import Settings

START = datetime(2026, 11, 2, 9, tzinfo=UTC)


def history() -> list[ContactRow]:
    """A busy hour for one agent: 20 calls a minute apart, each held 3 minutes; the ones
    that waited over 5 minutes gave up."""
    rows = []
    for n in range(20):
        opened = START + timedelta(minutes=n)
        wait = max(0.0, n * 120.0)
        gave_up = wait > 300
        rows.append(
            ContactRow(
                uuid.uuid4(),
                opened_at=opened,
                channel="voice",
                answered=not gave_up,
                abandoned=gave_up,
                wait_seconds=300.0 if gave_up else wait,
                handle_seconds=0.0 if gave_up else 180.0,
            )
        )
    return rows


def agents(n: int) -> list[Person]:
    return [Person(id=f"a{i}", name=f"a{i}") for i in range(n)]


def test_more_agents_answer_faster_and_lose_fewer() -> None:
    rows = history()
    arrivals = arrivals_from(rows, START)
    happened = actual(rows, 20)
    assert happened.contacts == 20 and happened.abandonment == 17 / 20
    one = replay(arrivals, agents(1), RoutingConfig(), 20)
    four = replay(arrivals, agents(4), RoutingConfig(), 20)
    assert one.contacts == four.contacts == 20
    assert one.abandonment is not None and four.abandonment is not None
    assert four.abandonment < one.abandonment
    assert four.service_level is not None and one.service_level is not None
    assert four.service_level > one.service_level
    assert four.average_speed_of_answer is not None
    assert four.average_speed_of_answer < 30


def test_the_command_prints_predicted_beside_actual(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path))
    config = tmp_path / "switchboard.toml"
    config.write_text('[[people]]\nid = "a0"\nname = "A"\n')
    monkeypatch.setenv("SWITCHBOARD_CONFIG_FILE", str(config))
    view = build_reports_core(Settings()).view
    view.save(history(), [], [], None)
    view.close()
    assert main(["simulate", "--from-history", "2026-11-02..2026-11-03", "--agents", "4"]) == 0
    out = capsys.readouterr().out
    assert "actual" in out and "predicted" in out
    line = next(x for x in out.splitlines() if x.startswith("abandonment"))
    actual_abandonment, predicted_abandonment = (float(v) for v in line.split()[1:])
    assert actual_abandonment == pytest.approx(0.85)
    assert predicted_abandonment < actual_abandonment
    assert main(["simulate", "--from-history", "2026-11-03..2026-11-02"]) == 2
