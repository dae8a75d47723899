"""Report rows, agent time and metrics as plain calls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from events import (
    AgentStatusChanged,
    AgentWrapUpEnded,
    AgentWrapUpStarted,
    ContactAbandoned,
    ContactCompleted,
    ContactOpened,
    ContactQueued,
    ContactTransferred,
    CustomerIdentified,
    OfferAccepted,
    OfferExpired,
    ReplyRequested,
)
from services.reports import agent_time, contact_row
from services.reports.metrics import MetricsFold, bucket_start, p90
from services.reports.params import parse
from switchboard.errors import BadInput

T0 = datetime(2026, 3, 28, 23, 50, tzinfo=UTC)
C = uuid.uuid4()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def life() -> list[object]:
    i = uuid.uuid4()
    return [
        ContactOpened(
            contact_id=C,
            interaction_id=i,
            channel="webform",
            identify_by=None,
            source="contact-us",
            attributes={"utm_source": "google", "utm_campaign": "spring"},
            occurred_at=at(0),
        ),
        ContactQueued(
            contact_id=C,
            interaction_id=i,
            channel="webform",
            queue="sales",
            priority=0,
            occurred_at=at(1),
        ),
        OfferAccepted(
            contact_id=C,
            offer_id=uuid.uuid4(),
            agent_id="alice",
            waited_seconds=12,
            occurred_at=at(12),
        ),
        ReplyRequested(
            contact_id=C,
            reply_id=uuid.uuid4(),
            agent_id="alice",
            text="hi",
            channel="webform",
            origin={},
            occurred_at=at(30),
        ),
        ContactTransferred(
            contact_id=C, from_agent_id="alice", queue="sales", reason="", occurred_at=at(60)
        ),
        OfferAccepted(
            contact_id=C,
            offer_id=uuid.uuid4(),
            agent_id="bob",
            waited_seconds=80,
            occurred_at=at(80),
        ),
        ContactCompleted(contact_id=C, agent_id="bob", disposition="sale", occurred_at=at(100)),
        AgentWrapUpStarted(agent_id="bob", contact_id=C, until=at(200), occurred_at=at(100)),
        AgentWrapUpEnded(agent_id="bob", contact_id=C, reason="ready", occurred_at=at(110)),
        CustomerIdentified(
            customer_id=uuid.uuid4(),
            interaction_id=i,
            contact_id=C,
            identities=[],
            is_new_customer=True,
            tier="vip",
            occurred_at=at(0.5),
        ),
    ]


def test_a_contacts_life_folds_into_one_row() -> None:
    row = contact_row.ContactRow(C)
    for e in life():
        contact_row.apply(row, e)  # type: ignore[arg-type]
    assert (row.source, row.campaign, row.queue, row.tier) == ("google", "spring", "sales", "vip")
    assert (row.first_agent, row.last_agent, row.agents) == ("alice", "bob", ["alice", "bob"])
    assert (row.wait_seconds, row.first_response_seconds, row.transfers) == (12, 30, 1)
    assert row.handle_seconds == 48 + 20
    assert (row.wrap_up_seconds, row.resolution_seconds, row.disposition) == (10, 100, "sale")
    assert row.request_type is None and row.sla_outcome is None


def test_referrer_host_and_called_number_are_sources() -> None:
    from services.reports.lead_source import source_of

    assert source_of("webform", "f", {"referrer": "https://www.facebook.com/x"}) == "facebook.com"
    assert source_of("voice", "twilio", {"To": "+4930123"}) == "+4930123"
    assert source_of("api", "crm", {}) == "crm"


def test_agent_time_refines_available_by_work() -> None:
    state = agent_time.AgentState("alice")
    closed = []
    for e in (
        AgentStatusChanged(agent_id="alice", status="available", occurred_at=at(0)),
        OfferAccepted(
            contact_id=C,
            offer_id=uuid.uuid4(),
            agent_id="alice",
            waited_seconds=1,
            occurred_at=at(10),
        ),
        ContactCompleted(contact_id=C, agent_id="alice", disposition="", occurred_at=at(40)),
        AgentWrapUpStarted(agent_id="alice", contact_id=C, until=at(60), occurred_at=at(40)),
        AgentWrapUpEnded(agent_id="alice", contact_id=C, reason="time", occurred_at=at(60)),
        OfferExpired(contact_id=C, offer_id=uuid.uuid4(), agent_id="alice", occurred_at=at(70)),
        AgentStatusChanged(agent_id="alice", status="away", occurred_at=at(100)),
    ):
        closed += agent_time.apply(state, e)
    spans = [
        (i.status, i.started_at, i.ended_at) for i in closed if isinstance(i, agent_time.Interval)
    ]
    seconds = agent_time.seconds_in(spans, at(0), at(1000))
    assert (seconds["available"], seconds["busy"], seconds["wrap_up"]) == (10 + 40, 30, 20)
    assert sum(isinstance(i, agent_time.MissedOffer) for i in closed) == 1
    assert state.status == "away"


def test_buckets_follow_the_time_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 23:50 UTC on 28 March is 00:50 on the 29th in Berlin, the day clocks go forward.
    assert bucket_start(T0, "day", berlin) == "2026-03-29T00:00:00+01:00"
    assert bucket_start(T0, "day", ZoneInfo("UTC")) == "2026-03-28T00:00:00+00:00"
    assert bucket_start(T0, "15min", berlin) == "2026-03-29T00:45:00+01:00"
    assert bucket_start(T0, "week", berlin) == "2026-03-23T00:00:00+01:00"
    assert bucket_start(at(4 * 3600), "hour", berlin) == "2026-03-29T05:00:00+02:00"
    assert p90([float(n) for n in range(1, 11)]) == 9.0


def test_metrics_fold_by_dimension_with_conversions() -> None:
    fold = MetricsFold("day", ZoneInfo("UTC"), ("source",), lambda q: 20.0, frozenset({"sale"}))
    row = contact_row.ContactRow(C)
    for e in life():
        contact_row.apply(row, e)  # type: ignore[arg-type]
    fold.add(row)
    lost = contact_row.ContactRow(uuid.uuid4())
    contact_row.apply(lost, life()[0])  # type: ignore[arg-type]
    contact_row.apply(
        lost,
        ContactAbandoned(
            contact_id=lost.contact_id,
            reason="hung up",
            agent_id=None,
            waited_seconds=5,
            occurred_at=at(5),
        ),
    )
    fold.add(lost)
    [google] = fold.report()
    assert (google["contacts"], google["answered"], google["abandoned"]) == (2, 1, 1)
    assert google["service_level"] == 0.5  # answered within 20 s, over answered + abandoned
    assert (google["converted"], google["conversion_rate"]) == (1, 0.5)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-01-02", "end": "2026-01-01"}, "end"),
        ({"start": "2026-01-01", "end": "2026-01-02", "group_by": "colour"}, "group_by"),
        ({"start": "2026-01-01", "end": "2026-01-02", "group_by": "a,b,c"}, "group_by"),
        ({"start": "2020-01-01", "end": "2026-01-01", "bucket": "15min"}, "bucket"),
        ({"start": "2026-01-01", "end": "2026-01-02", "tz": "Nowhere/Else"}, "tz"),
        ({"start": "yesterday", "end": "2026-01-02"}, "start"),
        ({"start": "2026-01-01", "end": "2026-01-02", "limit": "0"}, "limit"),
        ({"start": "2026-01-01", "end": "2026-01-02", "colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_name_their_field(query: dict[str, str], field: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse(query, "UTC")
    assert caught.value.details[0].field == field


def test_a_report_stays_at_its_local_time_across_daylight_saving() -> None:
    import datetime as dt

    from services.reports.schedule import Subscription, next_due, period

    daily = Subscription(uuid.uuid4(), "sam", "daily", dt.time(8), 0, "Europe/Berlin", "channel")
    # Before the change (UTC+1), then after it (UTC+2): 08:00 in Berlin both times.
    first = next_due(daily, datetime(2026, 3, 28, 6, 0, tzinfo=UTC))
    assert first == datetime(2026, 3, 28, 7, 0, tzinfo=UTC)
    assert next_due(daily, first) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    weekly = Subscription(uuid.uuid4(), "sam", "weekly", dt.time(8), 0, "Europe/Berlin", "")
    monday = next_due(weekly, datetime(2026, 3, 28, 6, 0, tzinfo=UTC))
    assert monday == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    start, end = period(weekly, monday)
    lost_an_hour = timedelta(days=7) - timedelta(hours=1)
    assert end.astimezone(UTC) - start.astimezone(UTC) == lost_an_hour
    assert start.hour == end.hour == 8


def test_a_call_is_answered_only_once_the_agents_phone_answers() -> None:
    from events import CallBridgeFailed, CallConnected, Event

    def accepted(agent: str, waited: float) -> OfferAccepted:
        return OfferAccepted(
            contact_id=C,
            offer_id=uuid.uuid4(),
            agent_id=agent,
            waited_seconds=waited,
            occurred_at=at(waited),
        )

    row = contact_row.ContactRow(C)
    opened = ContactOpened(
        contact_id=C,
        interaction_id=uuid.uuid4(),
        channel="voice",
        identify_by=None,
        occurred_at=at(0),
    )
    first: list[Event] = [
        opened,
        accepted("alice", 5),
        CallBridgeFailed(contact_id=C, agent_id="alice", attempt=1, reason="no-answer"),
    ]
    for e in first:
        contact_row.apply(row, e)
    assert (row.answered, row.wait_seconds) == (False, None)  # alice's phone never answered
    then: list[Event] = [
        accepted("bob", 40),
        CallConnected(contact_id=C, agent_id="bob", attempt=1, agent_call_sid="CA1"),
    ]
    for e in then:
        contact_row.apply(row, e)
    assert (row.answered, row.wait_seconds, row.first_agent) == (True, 40, "bob")


def test_a_batch_of_relayed_events_projects_as_one_at_a_time(tmp_path: Path) -> None:
    """`up` projects a consumer's batch in one transaction (switchboard/event_batches.py):
    the same row as one event at a time; the batch redelivered whole, or with an event
    relayed twice in it, changes nothing."""
    from eventsourcing.persistence import Tracking

    from services.reports.app import build_reports_core
    from switchboard.settings import Settings

    routing = [e for e in life() if not isinstance(e, CustomerIdentified)]
    items = [(e, Tracking("routing>reports-routing", n)) for n, e in enumerate(routing, 1)]
    one = build_reports_core(Settings(data_dir=tmp_path / "one"))
    for event, tracking in items:
        one.handle(event, tracking)  # type: ignore[arg-type]
    batched = build_reports_core(Settings(data_dir=tmp_path / "batched"))
    twice = [*items[:5], items[4], *items[5:]]  # the transfer, relayed twice
    batched.handle_all(twice)  # type: ignore[arg-type]
    batched.handle_all(items)  # type: ignore[arg-type]
    [expected] = one.view.load([C], [])[0].values()
    [got] = batched.view.load([C], [])[0].values()
    assert got == expected and got.transfers == 1 and got.handle_seconds == 68
    assert batched.view.max_tracking_id("routing>reports-routing") == len(items)
    one.view.close()
    batched.view.close()
