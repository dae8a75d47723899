"""The streams every service declares: replicas for a NATS cluster and retention."""

from __future__ import annotations

from switchboard.jetstream import stream_configs
from switchboard.settings import Settings


def test_streams_keep_messages_for_ever_on_one_server_by_default() -> None:
    settings = Settings()
    configs = stream_configs(settings.inbound_dedupe_window_seconds)
    assert {c.name for c in configs} == {"INBOUND", "EVENTS", "TIMERS", "DEADLETTERS"}
    assert all(c.num_replicas == 1 and not c.max_age for c in configs)


def test_replicas_and_retention_apply_to_every_stream() -> None:
    configs = stream_configs(3600, replicas=3, max_age_hours=24 * 7)
    assert all(c.num_replicas == 3 for c in configs)
    assert all(c.max_age == 7 * 24 * 3600 for c in configs)


def test_retention_never_shorter_than_the_dedupe_window() -> None:
    # A channel retrying after its message aged out would be taken as a new one.
    [inbound] = [c for c in stream_configs(7200, max_age_hours=1) if c.name == "INBOUND"]
    assert inbound.max_age == 7200
