"""How a consumer's messages are fetched together: how many at most, and how long one that
came alone waits for the next ones (switchboard/inbound_batches.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Batching:
    # Messages fetched, and where they can be, decided in one transaction; 1: one message in
    # flight, which any number of readers can share.
    size: int = 1
    # Seconds a lone message waits for more after its consumer had a backlog.
    linger: float = 0.0
    # Seconds the first message of a consumer that follows contacts (a report, a timeline, a
    # clock) waits for the next ones, backlog or not: at a steady rate its batches are then
    # a moment's messages, not one each, and nobody waits on it for a contact's offer.
    # 0 for a consumer on a contact's way to an agent.
    window: float = 0.0
