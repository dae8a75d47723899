"""One web form, one trace: ingest, routing, the relays and history, parent to child.

On a real nats-server with the JSON-lines exporter (switchboard/tracing.py), both ways
INBOUND is read: in batches as under `up`, and one message in flight through FastStream
(and its NatsTelemetryMiddleware) as under `serve`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.stack import Stack, stack_config
from tests.support.waiting import eventually

Span = dict[str, Any]


@pytest.fixture(params=[64, 1], ids=["batches", "one-in-flight"])
async def traced(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Stack, Path]]:
    trace_file = tmp_path / "traces.jsonl"
    monkeypatch.setenv("SWITCHBOARD_TRACE_FILE", str(trace_file))
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")  # export within the test's wait
    monkeypatch.setenv("SWITCHBOARD_INBOUND_BATCH", str(request.param))
    # Routing queues a contact without history's word once identify_timeout passes (2 s):
    # on a loaded machine that timer could offer first, under a trace of its own (CI did).
    config = stack_config()
    config = config.model_copy(
        update={"routing": config.routing.model_copy(update={"identify_timeout_seconds": 60})}
    )
    stack = Stack(tmp_path / "data", nats_server, config=config)
    await stack.start()
    try:
        yield stack, trace_file
    finally:
        await stack.close()


def read_spans(path: Path) -> list[Span]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def consumer(name: str) -> Callable[[Span], bool]:
    return lambda s: str(s["attributes"].get("sb.consumer", "")).startswith(name)


def relayed(app: str, event: str) -> Callable[[Span], bool]:
    subject = f"sb.events.{app}.{event}"
    return lambda s: (
        s["name"] == f"{app}.relay" and s["attributes"]["messaging.destination.name"] == subject
    )


def child_named(parent: Span, name: str) -> Callable[[Span], bool]:
    return lambda s: s["parent_id"] == parent["span_id"] and s["name"] == name


async def test_one_form_is_one_trace_across_every_hop(traced: tuple[Stack, Path]) -> None:
    stack, trace_file = traced
    # Routing's events run EVENTS' sequence ahead of history's positions: a batch reader
    # that confused a relayed event's position with its sequence loses the trace.
    for status in ("away", "available", "away", "available"):
        await stack.status("alice", status)
    r = await stack.post_form(email="tracy@example.com", message="where is my parcel?")
    assert r.status_code == 202, r.text
    await eventually(lambda: stack.offers("alice"))

    def one(spans: list[Span], match: Callable[[Span], bool]) -> Span | None:
        found = [s for s in spans if match(s)]
        assert len(found) <= 1, found
        return found[0] if found else None

    def heard(spans: list[Span], offer: Span) -> list[Span]:
        return [
            s
            for s in spans
            if s["parent_id"] == offer["span_id"] and "sb.consumer" in s["attributes"]
        ]

    async def offered_and_heard() -> list[Span] | None:
        # A span is written when it ends, and the relay's ends when its publishes (the
        # event's, the offer deadline's) are acked: a consumer can read the offer, and its
        # span be written, before the relay's.
        spans = read_spans(trace_file)
        offers = [s for s in spans if relayed("routing", "AgentOffered")(s)]
        # History's projection of the queueing or the offer may end after the offer's
        # first consumer has been heard.
        projected = any(consumer("history-routing")(s) for s in spans)
        return spans if offers and heard(spans, offers[0]) and projected else None

    spans = await eventually(offered_and_heard)
    [http] = [
        s
        for s in spans
        if s["kind"] == "SERVER" and s["attributes"]["url.path"].startswith("/channels/webform")
    ]
    trace = [s for s in spans if s["trace_id"] == http["trace_id"]]
    by_id = {s["span_id"]: s for s in trace}

    def find(match: Callable[[Span], bool]) -> Span:
        span = one(trace, match)
        assert span is not None, sorted(s["name"] for s in trace)
        return span

    def under(child: Span, ancestor: Span) -> bool:
        span: Span | None = child
        while span is not None:
            if span["parent_id"] == ancestor["span_id"]:
                return True
            span = by_id.get(span["parent_id"] or "")
        return False

    assert http["parent_id"] is None
    assert http["name"] == "POST /channels/webform/{form_id}"
    publish = find(lambda s: s["name"] == "ingest.publish")
    assert publish["parent_id"] == http["span_id"]

    # Routing and history each read the interaction from INBOUND.
    routing_in = find(consumer("routing-p"))
    history_in = find(consumer("history-p"))
    assert routing_in["parent_id"] == publish["span_id"]
    assert history_in["parent_id"] == publish["span_id"]
    for service, inbound in (("routing", routing_in), ("history", history_in)):
        # Batches decide each message in a span of its own; FastStream's span decides it.
        decide = one(trace, child_named(inbound, f"{service}.decide"))
        assert (decide is not None) == (inbound["name"] == f"{service}.inbound")
        commit = find(child_named(decide or inbound, f"{service}.commit"))
        assert commit["name"] == f"{service}.commit"

    # Routing's relay carries on the trace of the message that caused the event.
    opened = find(relayed("routing", "ContactOpened"))
    assert under(opened, routing_in)
    # History names the customer; its relay tells routing, which queues and offers.
    identified = find(relayed("history", "CustomerIdentified"))
    assert under(identified, history_in)
    learned = find(consumer("routing-identities"))
    assert learned["parent_id"] == identified["span_id"]
    offer = find(relayed("routing", "AgentOffered"))
    # Or, when history was the quicker, the contact took its word as it opened.
    assert under(offer, learned) or under(offer, routing_in)
    # Its consumers carry the offer's trace on.
    assert heard(trace, offer)
    # History projects routing's contact events too (the queueing, the offer: not the
    # opening, which it does not take), in the same trace.
    assert any(
        consumer("history-routing")(s) and (under(s, learned) or under(s, routing_in))
        for s in trace
    )
