"""switchboard/tracing.py without servers: off is a no-op; on, causes follow positions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import Tracking
from fastapi import FastAPI
from opentelemetry import trace

from switchboard import tracing


@pytest.fixture
def trace_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "spans.jsonl"
    assert tracing.configure("unit", tracing.TraceSettings(trace_file=path))
    try:
        yield path
    finally:
        tracing.shutdown()


def spans(path: Path) -> list[dict[str, object]]:
    tracing.shutdown()  # flushes
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_off_by_default_and_hooks_do_nothing() -> None:
    assert not tracing.configure("unit", tracing.TraceSettings())
    assert not tracing.enabled()
    assert tracing.broker_middlewares() == []
    headers: dict[str, str] = {}
    with tracing.producing("ingest.publish", headers):
        assert tracing.current() is None
    assert headers == {}
    log = tracing.CausalLog()
    transaction: ProcessingEvent[Any] = ProcessingEvent()
    log.collected(transaction, 0)
    assert log.causes(transaction) == []


def test_file_without_a_path_is_refused() -> None:
    with pytest.raises(ValueError, match="SWITCHBOARD_TRACE_FILE"):
        tracing.TraceSettings(traces="file").exporter()


def test_publish_carries_traceparent_and_spans_are_json_lines(trace_file: Path) -> None:
    headers: dict[str, str] = {}
    with tracing.producing("ingest.publish", headers, subject="sb.inbound.x.webform"):
        pass
    assert headers["traceparent"].startswith("00-")
    [span] = spans(trace_file)
    assert span["name"] == "ingest.publish"
    assert span["kind"] == "PRODUCER"
    assert span["service"] == "unit"
    assert headers["traceparent"].split("-")[1] == span["trace_id"]


def test_each_stored_event_keeps_the_span_that_caused_it(trace_file: Path) -> None:
    log = tracing.CausalLog()
    transaction: ProcessingEvent[Any] = ProcessingEvent()
    causes = []
    tracer = tracing.tracer()
    # A batch: the first decision stores two events, the second none, the third one.
    for first in (0, 2, 2):
        with tracer.start_as_current_span("decide") as span:
            causes.append(span.get_span_context())
            log.collected(transaction, first)
    recordings = [SimpleNamespace(notification=SimpleNamespace(id=n)) for n in (7, 8, 9)]
    log.recorded(transaction, recordings)
    assert [log.cause_of(n) for n in (7, 8, 9)] == [causes[0], causes[0], causes[2]]
    assert log.cause_of(10) is None
    with tracing.committing("routing", causes):
        pass
    relay = tracing.relay_span("routing", causes[0], "sb.events.routing.ContactOpened", 7)
    relay.end()
    commit, relayed = [s for s in spans(trace_file) if s["name"] != "decide"]
    assert commit["parent_id"] is None  # a batch's: linked to each decision
    assert len(commit["links"]) == 3  # type: ignore[arg-type]
    assert relayed["parent_id"] == f"{causes[0].span_id:016x}"


async def test_http_span_ignores_a_callers_traceparent(trace_file: Path) -> None:
    app = FastAPI()

    @app.post("/channels/webform/{form_id}")
    async def form(form_id: str) -> dict[str, str]:
        return {"trace": f"{trace.get_current_span().get_span_context().trace_id:032x}"}

    app.add_middleware(tracing.TraceRequests)
    chosen = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        r = await client.post("/channels/webform/contact-us", headers={"traceparent": chosen})
    [span] = spans(trace_file)
    assert span["name"] == "POST /channels/webform/{form_id}"
    assert span["parent_id"] is None
    assert r.json()["trace"] == span["trace_id"] != "0af7651916cd43dd8448eb211c80319c"
    assert span["attributes"]["http.response.status_code"] == 200  # type: ignore[index]


def test_a_batched_event_is_decided_under_its_own_span(trace_file: Path) -> None:
    """An EVENTS message's tracking is its origin's position, not its stream sequence (CI
    once saw routing's commit of a CustomerIdentified start a trace of its own)."""
    headers: dict[str, str] = {}
    with tracing.producing("history.relay", headers):
        pass
    relayed = SimpleNamespace(
        headers=headers,
        subject="sb.events.history.CustomerIdentified",
        metadata=SimpleNamespace(sequence=SimpleNamespace(stream=9)),
    )
    tracking = Tracking("history>routing-identities", 3)
    with tracing.consuming([relayed], "routing-identities", lambda _: tracking):  # type: ignore[list-item]
        with tracing.deciding(Tracking("history>routing-identities", 3)):
            with tracing.committing("routing", []):
                pass
    relay, commit, decide, inbound = spans(trace_file)
    assert (inbound["name"], decide["name"], commit["name"]) == (
        "routing.inbound",
        "routing.decide",
        "routing.commit",
    )
    assert inbound["parent_id"] == relay["span_id"]
    assert decide["parent_id"] == inbound["span_id"]
    assert commit["parent_id"] == decide["span_id"]
