"""What a caller's reach is made of, from the configuration: the queues each supervisor
answers for, and what a program's bearer token may read."""

from __future__ import annotations

from schemas.config import SwitchboardConfig
from switchboard.auth import Principal


def queue_supervisors(config: SwitchboardConfig) -> dict[str, str]:
    """Each queue's supervisor, as routing resolves it (the queue's own, else the
    routing default, else the first supervisor in `people`)."""
    first = next((p.id for p in config.people if p.role == "supervisor"), None)
    default = config.routing.supervisor or first
    found = {q.name: q.supervisor or default for q in config.routing.queues}
    found.setdefault(config.routing.queue, default)
    return {name: who for name, who in found.items() if who}


def token_scopes(config: SwitchboardConfig, principal: Principal) -> frozenset[str]:
    """What a program's bearer token may read (nothing for people)."""
    token = next((t for t in config.auth.tokens if t.name == principal.id), None)
    return frozenset(token.scopes) if token is not None else frozenset()
