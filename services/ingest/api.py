"""Ingest's HTTP surface: one route per adapter, one code path for all of them."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from fastapi import APIRouter, Request, Response

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
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base.rstrip('/')}{request.url.path}{query}"


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
        headers={k.lower(): v for k, v in request.headers.items()},
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
        if per_address is not None:
            address = request.client.host if request.client else "unknown"
            wait = per_address.take(address)
            if wait is not None:
                raise TooManyRequests(f"too many submissions from {address}", wait)
        inbound = _inbound(request, base, await read_bounded(request, limit))
        adapter.verify(inbound)
        accepted = [
            Accepted(event, await publisher.publish(event)) for event in adapter.parse(inbound)
        ]
        reply = adapter.reply(inbound, accepted)
        return Response(reply.content, status_code=reply.status, media_type=reply.media_type)

    receive.__doc__ = (adapter.__doc__ or "").strip() or None
    return receive
