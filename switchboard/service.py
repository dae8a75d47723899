"""What a composition root hands to the runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

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


class _Loop(Protocol):
    name: str
    last_error: str | None


class _Inbox(Protocol):
    dead_lettered: int


def loops_health(loops: Iterable[_Loop], inboxes: Iterable[_Inbox]) -> str:
    """A service's health past its store: the first loop failing, else "ok" with how many
    messages its consumers gave up on."""
    for loop in loops:
        if loop.last_error:
            return f"{loop.name}: {loop.last_error}"
    dead = sum(i.dead_lettered for i in inboxes)
    return "ok" if not dead else f"ok ({dead} dead-lettered)"
