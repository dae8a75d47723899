"""The history read model: which stored history events change it, and how.

One stored event becomes a few plain changes (a timeline row, a search entry, a merge
link, a suggestion, an erasure); the view applies a batch of them with its tracking
record in one transaction, so the projection is exactly once and can be rebuilt.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from eventsourcing.persistence import Tracking

PROJECTED_FROM = "history"


@dataclass(frozen=True)
class TimelineRow:
    position: int  # notification id in the history store: unique and in record order
    customer_id: uuid.UUID
    at: datetime
    kind: str
    channel: str | None
    contact_id: uuid.UUID | None
    summary: str
    data: dict[str, Any]
    recorded_at: datetime | None = None  # when history stored it: what `as_of` reads


@dataclass(frozen=True)
class CustomerIndexed:
    """Search fields of a customer (only those given change)."""

    customer_id: uuid.UUID
    fields: dict[str, str | None]


@dataclass(frozen=True)
class Linked:
    absorbed_id: uuid.UUID
    survivor_id: uuid.UUID
    position: int
    at: datetime


@dataclass(frozen=True)
class Unlinked:
    absorbed_id: uuid.UUID
    position: int
    at: datetime


@dataclass(frozen=True)
class SuggestionChanged:
    suggestion_id: uuid.UUID
    fields: dict[str, Any]  # a, b, evidence, proposed_at on proposal; status, decided_by


@dataclass(frozen=True)
class CustomerForgotten:
    customer_id: uuid.UUID


@dataclass(frozen=True)
class Rejoined:
    """An interaction's row moves from the contact it would have opened alone to the
    conversation it joined."""

    customer_id: uuid.UUID
    own_contact_id: uuid.UUID
    contact_id: uuid.UUID


Change = (
    TimelineRow
    | CustomerIndexed
    | Linked
    | Unlinked
    | SuggestionChanged
    | CustomerForgotten
    | Rejoined
)


@dataclass(frozen=True)
class Suggestion:
    suggestion_id: uuid.UUID
    a: uuid.UUID
    b: uuid.UUID
    evidence: dict[str, Any]
    status: str
    proposed_at: datetime
    decided_by: str | None


class TimelineView(Protocol):
    """The read model, in the same database as the history store."""

    def apply(self, changes: Sequence[Change], tracking: Tracking) -> None: ...
    def position(self) -> int: ...
    def rows(
        self,
        customer_id: uuid.UUID,
        before: int | None,
        limit: int,
        channel: str | None,
        as_of: datetime | None = None,
    ) -> list[TimelineRow]: ...
    def rows_of_kinds(
        self, customer_id: uuid.UUID, kinds: Collection[str]
    ) -> list[TimelineRow]: ...
    def search(self, text: str, limit: int) -> list[uuid.UUID]: ...
    def suggestions(self, status: str | None) -> list[Suggestion]: ...
    def clear(self) -> None: ...
    def close(self) -> None: ...


def _row(position: int, e: Any, kind: str, summary: str, **kw: Any) -> TimelineRow:
    return TimelineRow(
        position=position,
        customer_id=e.originator_id,
        at=kw.pop("at", e.timestamp),
        kind=kind,
        channel=kw.pop("channel", None),
        contact_id=kw.pop("contact_id", None),
        summary=summary,
        data=kw.pop("data", {}),
        recorded_at=e.timestamp,
    )


def _merged_summary(e: Any) -> str:
    if e.approved_by:
        how = f"approved by {e.approved_by}"
    else:
        kinds = sorted({i.partition(":")[0] for i in e.evidence["matched"]})
        how = "automatically, matched " + ", ".join(kinds)
    return f"Customer {e.other_id} merged into this one ({how})"


# The stored events `changes_for` turns into changes (see its match); no other changes
# anything, so the projector does not decode them.
KINDS = frozenset(
    {
        *(
            f"Customer.{kind}"
            for kind in (
                "InteractionRecorded",
                "InteractionJoined",
                "ContactEventRecorded",
                "Registered",
                "Named",
                "ProfileUpdated",
                "NoteAdded",
                "NoteRemoved",
                "Tagged",
                "Untagged",
                "TierSet",
                "OwnerSet",
                "OrganizationOwnerSet",
                "Absorbed",
                "MergedInto",
                "Released",
                "SplitOff",
                "Erased",
            )
        ),
        "MergeSuggestion.Proposed",
        "MergeSuggestion.Confirmed",
        "MergeSuggestion.Rejected",
    }
)


def changes_for(position: int, e: Any) -> list[Change]:
    """What one stored history event changes in the read model."""
    name = type(e).__qualname__
    match name:
        case "Customer.InteractionRecorded":
            data = {"interaction_id": str(e.interaction_id), "text": e.text}
            data["identities"] = e.identities
            where = {"at": e.at, "channel": e.channel, "contact_id": e.contact_id}
            return [_row(position, e, "InteractionReceived", e.summary, data=data, **where)]
        case "Customer.InteractionJoined":
            return [Rejoined(e.originator_id, e.own_contact_id, e.contact_id)]
        case "Customer.ContactEventRecorded":
            where = {"at": e.at, "contact_id": e.contact_id}
            return [_row(position, e, e.kind, e.summary, data=e.data, **where)]
        case "Customer.Registered" | "Customer.Named":
            return [CustomerIndexed(e.originator_id, {"name": e.name})]
        case "Customer.ProfileUpdated":
            indexed: dict[str, str | None] = {}
            if "name" in e.changes:
                indexed["name"] = e.changes["name"]
            if "organization" in e.changes:
                indexed["organization"] = (e.changes["organization"] or {}).get("name")
            summary = f"Profile updated by {e.by}: {', '.join(sorted(e.changes))}"
            row = _row(position, e, "ProfileUpdated", summary, data={"changes": e.changes})
            return [row, CustomerIndexed(e.originator_id, indexed)] if indexed else [row]
        case "Customer.NoteAdded":
            data = {"note_id": str(e.note_id), "text": e.text, "by": e.by}
            return [_row(position, e, "NoteAdded", f"Note by {e.by}: {e.text[:150]}", data=data)]
        case "Customer.NoteRemoved":
            data = {"note_id": str(e.note_id), "by": e.by}
            return [_row(position, e, "NoteRemoved", f"Note removed by {e.by}", data=data)]
        case "Customer.Tagged" | "Customer.Untagged":
            verb = "Tagged" if name == "Customer.Tagged" else "Untagged"
            data = {"tag": e.tag, "by": e.by}
            return [_row(position, e, verb, f"{verb} {e.tag!r} by {e.by}", data=data)]
        case "Customer.TierSet":
            summary = f"Tier set to {e.tier or 'none'} by {e.by}"
            return [_row(position, e, "TierChanged", summary, data={"tier": e.tier, "by": e.by})]
        case "Customer.OwnerSet":
            summary = f"Account owner set to {e.owner_id or 'nobody'} by {e.by}"
            data = {"owner_id": e.owner_id, "by": e.by}
            return [_row(position, e, "OwnerChanged", summary, data=data, at=e.at)]
        case "Customer.OrganizationOwnerSet":
            who = e.owner_id or "nobody"
            summary = f"Account owner of {e.organization} set to {who} by {e.by}"
            data = {"owner_id": e.owner_id, "by": e.by, "organization": e.organization}
            return [_row(position, e, "OwnerChanged", summary, data=data, at=e.at)]
        case "Customer.Absorbed":
            data = {"other_id": str(e.other_id), "evidence": e.evidence}
            data["approved_by"] = e.approved_by
            return [_row(position, e, "CustomerMerged", _merged_summary(e), data=data)]
        case "Customer.MergedInto":
            return [Linked(e.originator_id, e.survivor_id, position, e.timestamp)]
        case "Customer.Released":
            summary = f"Customer {e.other_id} split off by {e.by}"
            summary += f": {e.reason}" if e.reason else ""
            data = {"other_id": str(e.other_id), "by": e.by, "reason": e.reason}
            return [_row(position, e, "CustomerUnmerged", summary, data=data)]
        case "Customer.SplitOff":
            return [Unlinked(e.originator_id, position, e.timestamp)]
        case "Customer.Erased":
            return [CustomerForgotten(e.originator_id)]
        case "MergeSuggestion.Proposed":
            fields = {"a": e.a, "b": e.b, "evidence": e.evidence, "proposed_at": e.timestamp}
            return [SuggestionChanged(e.originator_id, {**fields, "status": "pending"})]
        case "MergeSuggestion.Confirmed":
            return [SuggestionChanged(e.originator_id, {"status": "confirmed", "decided_by": e.by})]
        case "MergeSuggestion.Rejected":
            return [SuggestionChanged(e.originator_id, {"status": "rejected", "decided_by": e.by})]
    return []
