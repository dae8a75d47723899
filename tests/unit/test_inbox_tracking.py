"""Tracking positions are kept per consumer: two consumers of one stream (or of one origin's
events) advance at their own pace, and one's progress must never mark the other's pending
messages as processed. (Found by the fault suite: during a PostgreSQL restart the offer
deadlines fell behind the identify deadlines on TIMERS, and lapsed offers were skipped.)"""

from __future__ import annotations

from pathlib import Path

from nats.aio.msg import Msg

from switchboard.inbox import tracking_of
from switchboard.jetstream import ORIGIN_APP_HEADER, ORIGIN_POSITION_HEADER
from switchboard.settings import Settings
from switchboard.store import TrackedApplication
from tests.support.stores import tracked_store


def delivered(stream: str, consumer: str, sequence: int, **headers: str) -> Msg:
    """A message as JetStream delivers it: its reply subject carries the stream position."""
    reply = f"$JS.ACK.{stream}.{consumer}.1.{sequence}.{sequence}.1700000000000000000.0"
    return Msg(None, subject="sb.x", reply=reply, data=b"", headers=headers or None)  # type: ignore[arg-type]


def store(tmp_path: Path) -> TrackedApplication:
    return tracked_store(Settings(data_dir=tmp_path), "routing")


def test_one_consumer_running_ahead_does_not_mark_anothers_messages_done(
    tmp_path: Path,
) -> None:
    app = store(tmp_path)
    identify = tracking_of(delivered("TIMERS", "routing-identify-deadlines", 9), "identify")
    offer = tracking_of(delivered("TIMERS", "routing-deadlines", 5), "offer-deadlines")
    app.commit(tracking=identify)  # the identify deadlines ran ahead to sequence 9 ...
    assert not app.is_processed(offer)  # ... the offer deadline at 5 is still to be done
    app.commit(tracking=offer)
    assert app.is_processed(offer) and app.is_processed(identify)
    app.close()


def test_relayed_events_are_tracked_by_origin_position_per_consumer(tmp_path: Path) -> None:
    app = store(tmp_path)
    origin = {ORIGIN_APP_HEADER: "routing", ORIGIN_POSITION_HEADER: "40"}
    escalations = tracking_of(delivered("EVENTS", "a", 100, **origin), "escalations")
    # The same event published again (new stream sequence) is the same position ...
    republished = tracking_of(delivered("EVENTS", "a", 250, **origin), "escalations")
    assert (republished.application_name, republished.notification_id) == (
        escalations.application_name,
        40,
    )
    app.commit(tracking=escalations)
    assert app.is_processed(republished)
    # ... while another consumer of the same origin keeps its own.
    flags = tracking_of(delivered("EVENTS", "b", 90, **origin), "flags")
    assert not app.is_processed(flags)
    app.close()
