"""Ingest's HTTP surface: one route per adapter, one code path for all of them."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence

from fastapi import APIRouter, Request, Response
from starlette.datastructures import URL
from starlette.types import Scope

from schemas.api import ErrorResponse
from schemas.config import SwitchboardConfig
from services.ingest.adapter import (
    Accepted,
    ChannelAdapter,
    InboundRequest,
    SubscriptionHandshake,
)
from services.ingest.adapters.inbound_publisher import InboundPublisher
from services.ingest.body import read_bounded
from switchboard.errors import TooManyRequests
from switchboard.rate_limit import RateLimit

ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorResponse, "description": "Malformed input; `details` name the fields"},
    403: {"model": ErrorResponse, "description": "Signature missing or wrong"},
    404: {"model": ErrorResponse, "description": "Unknown form, bot or channel"},
    413: {"model": ErrorResponse, "description": "Body over the configured limit"},
    429: {"model": ErrorResponse, "description": "Too many from one address (public forms)"},
    503: {"model": ErrorResponse, "description": "Event stream unavailable; retry"},
}


def public_url(request: Request, base: str | None) -> str:
    """The URL the channel called. Behind a proxy it differs from what we see, and Twilio
    signs the URL it called, so SWITCHBOARD_PUBLIC_URL wins when set."""
    if not base:
        return request_url(request.scope) or str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base.rstrip('/')}{request.url.path}{query}"


def request_url(scope: Scope) -> str | None:
    """str(request.url), which Starlette builds at ~45 µs a request (its host header
    parsing), most of a small form's parsing again: the scheme and host part is the same
    for every request through one address, so it is built by Starlette once per host and
    kept. None where Starlette would give no host (then it is asked as before)."""
    host = next((v for k, v in scope["headers"] if k == b"host"), None)
    server = scope.get("server")
    origin = _origin(scope.get("scheme", "http"), host, tuple(server) if server else None)
    if origin is None:
        return None
    path = scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    query = scope.get("query_string", b"").decode()
    return f"{origin}{path}?{query}" if query else f"{origin}{path}"


@functools.lru_cache(maxsize=256)
def _origin(scheme: str, host: bytes | None, server: tuple[str, int] | None) -> str | None:
    headers = [(b"host", host)] if host is not None else []
    scope = {"scheme": scheme, "server": server, "path": "/", "headers": headers}
    url = str(URL(scope=scope))
    return url.removesuffix("/") if "://" in url else None  # else no host: a bare path


def ingest_router(
    config: SwitchboardConfig,
    publisher: InboundPublisher,
    adapters: Sequence[ChannelAdapter],
    public_base_url: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> APIRouter:
    router = APIRouter(prefix="/channels", tags=["channels"])
    # Signed channels come from their platforms, in bursts that are theirs to decide; a
    # public route (a web form) takes only so many from one address.
    per_address = RateLimit(config.ingest.form_burst, config.ingest.form_per_hour, clock)
    for adapter in adapters:
        limit = per_address if getattr(adapter, "public", False) else None
        router.add_api_route(
            adapter.path,
            _endpoint(adapter, publisher, config.ingest.max_body_bytes, public_base_url, limit),
            methods=["POST"],
            name=adapter.name,
            summary=f"Inbound {adapter.name}",
            responses=ERRORS,
            status_code=202,
        )
        if isinstance(adapter, SubscriptionHandshake):
            router.add_api_route(
                adapter.path,
                _handshake(adapter, public_base_url),
                methods=["GET"],
                name=f"{adapter.name}-handshake",
                summary=f"{adapter.name} webhook verification",
                responses=ERRORS,
            )
    return router


def _inbound(request: Request, base: str | None, body: bytes = b"") -> InboundRequest:
    return InboundRequest(
        url=public_url(request, base),
        body=body,
        # ASGI names headers in lower case; a repeated one: the last, as Headers.items().
        headers={k.decode("latin-1"): v.decode("latin-1") for k, v in request.scope["headers"]},
        path_params=dict(request.path_params),
    )


def _handshake(adapter: SubscriptionHandshake, base: str | None):  # type: ignore[no-untyped-def]
    async def verify_subscription(request: Request) -> Response:
        reply = adapter.handshake(_inbound(request, base))
        return Response(reply.content, status_code=reply.status, media_type=reply.media_type)

    return verify_subscription


def _endpoint(  # type: ignore[no-untyped-def]
    adapter: ChannelAdapter,
    publisher: InboundPublisher,
    limit: int,
    base: str | None,
    per_address: RateLimit | None = None,
):
    async def receive(request: Request) -> Response:
        inbound = _inbound(request, base, await read_bounded(request, limit))
        adapter.verify(inbound)
        events = adapter.parse(inbound)
        # What is limited is what would reach the agents: malformed input is refused anyway
        # (and says why), a well-formed flood waits its turn.
        if per_address is not None and events:
            address = request.client.host if request.client else "unknown"
            wait = per_address.take(address)
            if wait is not None:
                raise TooManyRequests(f"too many submissions from {address}", wait)
        accepted = [Accepted(event, await publisher.publish(event)) for event in events]
        reply = adapter.reply(inbound, accepted)
        return Response(reply.content, status_code=reply.status, media_type=reply.media_type)

    receive.__doc__ = (adapter.__doc__ or "").strip() or None
    return receive
