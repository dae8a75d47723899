"""Checks on switchboard/recent_log.py's sharing of committed events with followers."""

from __future__ import annotations

from switchboard.store import TrackedApplication


def assert_shared_as_stored(app: TrackedApplication) -> None:
    """Every event a follower would be handed from memory still equals the event decoded
    from the store: nothing changed one after its commit (say an aggregate changing in
    place a container its event carries), so what followers see is what was stored."""
    kept = app.notifications_after(0, 100_000)
    assert kept and [n.id for n in kept] == list(range(1, len(kept) + 1))
    for n in kept:
        shared, stored = app.decoded(n), app.mapper.to_domain_event(n)
        assert shared is not stored
        assert vars(shared) == vars(stored), type(shared).__qualname__
