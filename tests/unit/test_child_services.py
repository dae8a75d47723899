"""Which services `up --processes 2` moves to its child, and what the child is told."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.batching import Batching
from switchboard.child_services import ChildServices, split
from switchboard.settings import Settings

ALL = ["ingest", "routing", "history", "notifier", "reports", "sla"]


def test_two_processes_move_history_reports_and_sla_to_the_child() -> None:
    assert split(ALL, 2) == (["ingest", "routing", "notifier"], ["history", "reports", "sla"])
    assert split(["ingest", "history"], 2) == (["ingest"], ["history"])


@pytest.mark.parametrize(
    ("names", "processes"),
    [(ALL, 1), (["ingest", "routing"], 2), (["history", "reports"], 2)],
    ids=["one process", "nothing to move", "nothing would stay"],
)
def test_no_child_when_it_would_be_the_only_process_or_have_nothing(
    names: list[str], processes: int
) -> None:
    assert split(names, processes) == (names, [])


def test_the_child_is_its_stores_sole_writer_on_loopback_behind_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_NATS_MONITOR_PORT", "8222")  # up's nats-server's, not its
    settings = Settings(
        data_dir=tmp_path / "data",
        http_host="0.0.0.0",  # up's public address: the child must not take it
        http_port=8000,
        inbound_batch=64,
        log_poll_seconds=1.0,
        batch_linger_ms=4.5,
        batch_window_ms=37.0,
        sole_writer=True,
        public_url="https://support.example.com",
    )
    child = ChildServices(settings, ["history", "reports", "sla"], "nats://u:p@127.0.0.1:4222")
    child.port = 43210
    env = child.env()
    assert env["SWITCHBOARD_NATS_URL"] == "nats://u:p@127.0.0.1:4222"
    assert "SWITCHBOARD_NATS_MONITOR_PORT" not in env
    assert env["SWITCHBOARD_SOLE_WRITER"] == "true"
    assert env["SWITCHBOARD_INBOUND_BATCH"] == "64"
    assert env["SWITCHBOARD_LOG_POLL_SECONDS"] == "1.0"
    assert (env["SWITCHBOARD_HTTP_HOST"], env["SWITCHBOARD_HTTP_PORT"]) == ("127.0.0.1", "43210")
    assert env["SWITCHBOARD_TRUSTED_PROXIES"] == "127.0.0.1"
    # Links and callbacks name up's address, never the child's port.
    assert env["SWITCHBOARD_PUBLIC_URL"] == "https://support.example.com"
    assert env["SWITCHBOARD_DATA_DIR"] == str((tmp_path / "data").resolve())
    # The child reads them as the settings meant (names and formats right).
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    parsed = Settings()
    assert parsed.sole_writer and not parsed.declare_streams
    assert (parsed.inbound_batch, parsed.log_poll_seconds, parsed.http_port) == (64, 1.0, 43210)
    assert parsed.batching(follows=True) == Batching(64, 0.0045, 0.037)
    assert parsed.link_base() == "https://support.example.com"
