"""What a composition root hands to the runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter


@dataclass
class Service:
    name: str
    routers: list[APIRouter] = field(default_factory=list)
    # Long-running loops (relays, projections); restarted by nothing: they retry inside.
    loops: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    # Returns "ok" or what is wrong; shown by GET /healthz.
    health: Callable[[], Awaitable[str]] | None = None
    close: Callable[[], None] | None = None
    # Async resources (HTTP clients) closed while the event loop still runs.
    aclose: Callable[[], Awaitable[None]] | None = None
