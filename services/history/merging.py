"""Merge rules as plain functions: when two customers are one person, and who survives."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime


def kind_of(identity: str) -> str:
    """`email:ana@example.com` -> `email`; `whatsapp:+49...` -> `whatsapp`."""
    return identity.partition(":")[0]


@dataclass(frozen=True)
class MergeDecision:
    automatic: bool
    survivor: uuid.UUID
    absorbed: list[uuid.UUID]


def decide_merge(
    matched: Mapping[uuid.UUID, list[str]],
    created: Mapping[uuid.UUID, datetime],
    auto_merge_on: Iterable[str],
) -> MergeDecision:
    """An interaction carried identities of several customers (`matched`: the identities
    that matched each). Automatic when every one was matched by a strong identity (exact,
    since identities are normalized); the longest-known customer survives."""
    strong = set(auto_merge_on)
    automatic = all(any(kind_of(i) in strong for i in ids) for ids in matched.values())
    survivor, *absorbed = sorted(matched, key=lambda c: (created[c], str(c)))
    return MergeDecision(automatic, survivor, absorbed)


def evidence_for(
    interaction_id: uuid.UUID | None, own: list[str], other_kinds: list[str], reason: str = ""
) -> dict[str, object]:
    """What one side of a merge records: its own matched identities, only the kinds of
    the other's (their values belong under the other customer's key)."""
    return {
        "interaction_id": str(interaction_id) if interaction_id else None,
        "matched": own,
        "other_matched_kinds": sorted(set(other_kinds)),
        "reason": reason,
    }
