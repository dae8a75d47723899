"""OpenTelemetry traces across the hops of one interaction (docs/tracing.md).

Off unless configured: `SWITCHBOARD_TRACES=otlp` (the SDK's OTLP/HTTP exporter, which reads
OTEL_EXPORTER_OTLP_ENDPOINT and friends) or `SWITCHBOARD_TRACE_FILE=path` (JSON lines, for
the bench and tests). Off, no tracer provider exists, FastStream gets no middleware and
every hook here returns after one check of a module flag.

The trace context travels in `traceparent` headers: ingest's JetStream publish carries the
HTTP request's; FastStream's NatsTelemetryMiddleware continues it for the EVENTS and TIMERS
consumers; a batch reader opens one span per message it decides. Relays publish events read
back from the store, so the context of what caused each stored event is kept beside its
position in memory (`CausalLog`): a trace is evidence, not truth, so it stays out of the
immutable (and erasable) event history and costs no write; a relay in another process, or
after a restart, publishes such an event as the root of a trace of its own.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eventsourcing.persistence import Tracking
from nats.aio.msg import Msg
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Link, Span, SpanContext, SpanKind
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TRACER = "switchboard"


class TraceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_", extra="ignore")

    traces: Literal["off", "otlp", "file"] = "off"
    trace_file: Path | None = None

    def exporter(self) -> SpanExporter | None:
        if self.trace_file is not None and self.traces in ("off", "file"):
            return JsonLinesExporter(self.trace_file)
        if self.traces == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            return OTLPSpanExporter()
        if self.traces == "file":
            raise ValueError("SWITCHBOARD_TRACES=file needs SWITCHBOARD_TRACE_FILE")
        return None


# The process's provider, not OpenTelemetry's global one: that can be set only once, and
# tests run one stack after another in a process, each with its own file. Runtimes sharing
# a process (replicas in a test) share it: the last to stop flushes and ends it.
_provider: TracerProvider | None = None
_tracer: trace.Tracer = trace.NoOpTracer()
_users = 0


def enabled() -> bool:
    return _provider is not None


def configure(service: str = "switchboard", settings: TraceSettings | None = None) -> bool:
    """Starts exporting spans when the settings ask for it; returns whether it does. Pair
    each call with `shutdown`."""
    global _provider, _tracer, _users
    if _provider is not None:
        _users += 1
        return True
    exporter = (settings or TraceSettings()).exporter()
    if exporter is None:
        return False
    _provider = TracerProvider(resource=Resource.create({"service.name": service}))
    _provider.add_span_processor(BatchSpanProcessor(exporter))
    _tracer = _provider.get_tracer(TRACER)
    _users = 1
    return True


def shutdown() -> None:
    """Exports what is still buffered, once the last user is done."""
    global _provider, _tracer, _users
    _users = max(0, _users - 1)
    if _provider is None or _users:
        return
    _provider.shutdown()
    _provider = None
    _tracer = trace.NoOpTracer()


def tracer() -> trace.Tracer:
    return _tracer


def broker_middlewares() -> list[Any]:
    """FastStream's middleware for the broker's subscribers and publishers, when on."""
    if _provider is None:
        return []
    from faststream.nats.opentelemetry import NatsTelemetryMiddleware

    return [NatsTelemetryMiddleware(tracer_provider=_provider)]


def current() -> SpanContext | None:
    """The span the running code belongs to, if any is being recorded."""
    if _provider is None:
        return None
    span_context = trace.get_current_span().get_span_context()
    return span_context if span_context.is_valid else None


def mark_consumer(consumer: str) -> None:
    """Names the durable consumer on the current (FastStream) span: subjects alone do not
    say which of a subject's consumers the time went to."""
    if _provider is not None:
        trace.get_current_span().set_attribute("sb.consumer", consumer)


@contextlib.contextmanager
def producing(name: str, headers: MutableMapping[str, str], **attributes: str) -> Iterator[None]:
    """A span around a publish, its context put into `headers` (traceparent)."""
    if _provider is None:
        yield
        return
    with _tracer.start_as_current_span(name, kind=SpanKind.PRODUCER, attributes=attributes):
        inject(headers)
        yield


@dataclass(frozen=True)
class _BatchSpans:
    """The `<service>.inbound` spans of the batch being handled (see `consuming`)."""

    service: str
    by_sequence: Mapping[int, Span]  # stream sequence: what `handling` has, the message
    by_tracking: Mapping[Tracking, Span]  # what `deciding` has: an EVENTS message's is
    # its origin's position, not its sequence in the stream


_batch_spans: contextvars.ContextVar[_BatchSpans | None] = contextvars.ContextVar(
    "sb_batch_spans", default=None
)


@contextlib.contextmanager
def consuming(
    msgs: Sequence[Msg], consumer: str, tracking_of: Callable[[Msg], Tracking | None]
) -> Iterator[None]:
    """One `<service>.inbound` span per message of a batch, each the child of the context
    its publisher put in its headers, open while the batch is handled; `deciding` (by the
    message's tracking) and `handling` (by the message) find them."""
    if _provider is None:
        yield
        return
    service = consumer.split("-")[0]
    by_sequence: dict[int, Span] = {}
    by_tracking: dict[Tracking, Span] = {}
    for raw in msgs:
        span = _tracer.start_span(
            f"{service}.inbound",
            context=extract(raw.headers or {}),
            kind=SpanKind.CONSUMER,
            attributes={
                "sb.consumer": consumer,
                "messaging.destination.name": raw.subject,
                "messaging.batch.message_count": len(msgs),
            },
        )
        by_sequence[raw.metadata.sequence.stream] = span
        tracking = tracking_of(raw)
        if tracking is not None:
            # An event relayed twice has one tracking: the first delivery's span decides it.
            by_tracking.setdefault(tracking, span)
    token = _batch_spans.set(_BatchSpans(service, by_sequence, by_tracking))
    try:
        yield
    finally:
        _batch_spans.reset(token)
        for span in by_sequence.values():
            span.end()


@contextlib.contextmanager
def deciding(tracking: Tracking) -> Iterator[None]:
    """A `<service>.decide` span for one message of a batch, current while it is decided
    (on the store's thread), so what it stores names it as its cause."""
    batch = _batch_spans.get() if _provider is not None else None
    parent = batch.by_tracking.get(tracking) if batch is not None else None
    if batch is None or parent is None:
        yield
        return
    with _tracer.start_as_current_span(
        f"{batch.service}.decide", context=trace.set_span_in_context(parent)
    ):
        yield


@contextlib.contextmanager
def handling(raw: Msg) -> Iterator[None]:
    """Makes a batched message's span current while the Inbox handles it on its own."""
    batch = _batch_spans.get() if _provider is not None else None
    span = batch.by_sequence.get(raw.metadata.sequence.stream) if batch is not None else None
    if span is None:
        yield
        return
    with trace.use_span(span, end_on_exit=False):
        yield


@contextlib.contextmanager
def committing(app: str, causes: Sequence[SpanContext]) -> Iterator[None]:
    """A `<app>.commit` span around one store transaction: the child of the one span that
    caused what it stores (else of what is current); a batch's transaction, caused by
    many, is linked to each message's decision instead."""
    if _provider is None:
        yield
        return
    links = [Link(c) for c in causes] if len(causes) > 1 else None
    parent = None
    if links:
        parent = otel_context.Context()
    elif causes:
        parent = trace.set_span_in_context(trace.NonRecordingSpan(causes[0]))
    with _tracer.start_as_current_span(
        f"{app}.commit", context=parent, links=links, attributes={"sb.app": app}
    ):
        yield


class CausalLog:
    """Which span caused each stored event, by notification id, for the relay.

    `collected` notes the current span for the events a commit adds to a transaction;
    `recorded` turns them into notification ids once the store assigned them. Bounded: a
    relay far behind (or one in another process) finds nothing and starts a trace."""

    def __init__(self, maxsize: int = 50_000) -> None:
        self._maxsize = maxsize
        # transaction -> (index of its first event from this cause, cause)
        self._pending: weakref.WeakKeyDictionary[Any, list[tuple[int, SpanContext]]] = (
            weakref.WeakKeyDictionary()
        )
        self._by_position: OrderedDict[int, SpanContext] = OrderedDict()
        self._lock = threading.Lock()

    def collected(self, transaction: Any, first: int) -> None:
        cause = current()
        if cause is not None:
            self._pending.setdefault(transaction, []).append((first, cause))

    def causes(self, transaction: Any) -> list[SpanContext]:
        if _provider is None:
            return []
        return [cause for _, cause in self._pending.get(transaction, [])]

    def recorded(self, transaction: Any, recordings: Sequence[Any]) -> None:
        """`recordings`: eventsourcing's, in the order the transaction collected them."""
        marks = self._pending.pop(transaction, None) if _provider is not None else None
        if not marks:
            return
        with self._lock:
            for n, (first, cause) in enumerate(marks):
                end = marks[n + 1][0] if n + 1 < len(marks) else len(recordings)
                for recording in recordings[first:end]:
                    self._by_position[recording.notification.id] = cause
            while len(self._by_position) > self._maxsize:
                self._by_position.popitem(last=False)

    def cause_of(self, position: int) -> SpanContext | None:
        with self._lock:
            return self._by_position.get(position)


def relay_span(app: str, cause: SpanContext | None, subject: str, position: int) -> Span:
    """A `<app>.relay` span for one published event, the child of what caused it; ended
    by the caller once the publish is acked."""
    parent = trace.set_span_in_context(trace.NonRecordingSpan(cause)) if cause else None
    return _tracer.start_span(
        f"{app}.relay",
        context=parent or otel_context.Context(),
        kind=SpanKind.PRODUCER,
        attributes={"messaging.destination.name": subject, "sb.position": position},
    )


def headers_for(span: Span, headers: MutableMapping[str, str]) -> None:
    inject(headers, context=trace.set_span_in_context(span))


class TraceRequests:
    """ASGI middleware: one SERVER span per HTTP request, current while it is served.
    A caller's traceparent is ignored: channels are untrusted and choose no trace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _provider is None:
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "HTTP")
        with _tracer.start_as_current_span(
            method,
            context=otel_context.Context(),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": scope.get("path", "")},
        ) as span:

            async def send_traced(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                await send(message)

            await self.app(scope, receive, send_traced)
            route = getattr(scope.get("route"), "path", None)
            if route:
                span.update_name(f"{method} {route}")


class JsonLinesExporter(SpanExporter):
    """One JSON object per finished span, appended to a file: the bench reads stages from
    it and tests assert on it, without a collector."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(span_record(s), separators=(",", ":")) for s in spans]
        with self._lock, self._path.open("a", encoding="utf-8") as out:
            out.write("".join(f"{line}\n" for line in lines))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def span_record(span: ReadableSpan) -> dict[str, Any]:
    ctx = span.get_span_context()
    assert ctx is not None
    return {
        "name": span.name,
        "trace_id": f"{ctx.trace_id:032x}",
        "span_id": f"{ctx.span_id:016x}",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "kind": span.kind.name,
        "start": span.start_time,
        "end": span.end_time,
        "service": span.resource.attributes.get("service.name"),
        "attributes": dict(span.attributes or {}),
        "links": [
            {"trace_id": f"{link.context.trace_id:032x}", "span_id": f"{link.context.span_id:016x}"}
            for link in span.links
        ],
    }
