"""The Customer aggregate: who they are, what staff know of them, whom they were merged with.

An interaction stays on the customer whose identity it came from, merged or not: a merge
links two customers (the survivor shows both histories), so undoing it restores both
exactly. Every event here but `Erased` carries personal data and is stored encrypted
with the customer's own key (see shredding.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from schemas.verification import UNVERIFIED
from switchboard.aggregate_copy import copy_one_level_down

LAST_CONTACTS_KEPT = 5


class CustomerErasedError(Exception):
    """The customer's personal data was erased on request: nothing more is recorded."""


class Customer(Aggregate):
    # The agent who owns the account (key customers get their own manager); a class
    # default so customers stored before owners read as having none.
    owner_id: str | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> Customer:
        """Its events replace nested containers, never change one in place: its own lists
        and dicts copied make a deep copy (switchboard/aggregate_copy.py)."""
        return copy_one_level_down(self, memo)

    @event("Registered")
    def __init__(self, identities: list[str], name: str | None) -> None:
        self.identities = list(identities)
        # How each identity was verified (schemas/verification.py); snapshots from before
        # it have none: they read as verifying nothing.
        self.verification: dict[str, str] = {}
        self.name = name
        self.organization: dict[str, Any] | None = None
        self.reason: str | None = None
        self.tier: str | None = None
        # The language of their latest interaction that had one (given or detected).
        self.language: str | None = None
        self.tags: list[str] = []
        self.notes: dict[str, dict[str, Any]] = {}
        self.taken: list[dict[str, Any]] = []  # accepted offers, oldest first
        # Conversations not yet resolved: contact id -> channel, state, agent, since.
        self.conversations: dict[str, dict[str, Any]] = {}
        self.merged_into: uuid.UUID | None = None
        self.absorbed: list[uuid.UUID] = []
        self.erased = False

    @event("IdentityAdded")
    def add_identity(self, identity: str, verified_by: str = UNVERIFIED) -> None:
        self.identities.append(identity)
        self.verification = {**self._verification(), identity: verified_by}

    def interaction_count(self) -> int:
        """Interactions recorded on this customer itself (snapshots from before: unknown, 0)."""
        count: int = getattr(self, "interactions", 0)
        return count

    @event("LooseIdentityNoted")
    def note_loose(self, holder_id: uuid.UUID) -> None:
        """One of this customer's interactions named an identity nobody vouched for, now
        held by `holder_id` (with a merge suggestion): erasing this customer erases that
        one too, unless it has interactions of its own."""
        self.loose = [*self.loose_holders(), holder_id]

    def loose_holders(self) -> list[uuid.UUID]:
        found: list[uuid.UUID] = getattr(self, "loose", [])
        return found

    @event("IdentityVerified")
    def verify_identity(self, identity: str, verified_by: str) -> None:
        """An identity first seen unverified came again, vouched for."""
        self.verification = {**self._verification(), identity: verified_by}

    def verification_of(self, identity: str) -> str:
        return self._verification().get(identity, UNVERIFIED)

    def _verification(self) -> dict[str, str]:
        found: dict[str, str] = getattr(self, "verification", {})
        return found

    @event("InteractionRecorded")
    def record_interaction(
        self,
        interaction_id: uuid.UUID,
        contact_id: uuid.UUID,
        channel: str,
        at: datetime,
        summary: str,
        text: str,
        identities: list[str],
        is_new_customer: bool,
        reason: str | None = None,
        # What routing is told (CustomerIdentified): of the merged customer shown.
        shown_as: uuid.UUID | None = None,
        tier: str | None = None,
        last_agent_id: str | None = None,
        owner_id: str | None = None,
        # This interaction's language, and the customer's as routing is told it: this one's,
        # else the one last known (a short "ok" from a Russian customer is still Russian).
        language: str | None = None,
        customer_language: str | None = None,
        # Where the channel kept the message as received (an e-mail's raw bytes).
        raw_ref: str | None = None,
    ) -> None:
        self.interactions = self.interaction_count() + 1
        self.reached = [*self.reached_ids(), str(interaction_id), str(contact_id)]
        if raw_ref:
            self.reached.append(raw_ref)
        if reason:
            self.reason = reason
        if language:
            self.language = language

    @event("ContactEventRecorded")
    def record_contact_event(
        self, kind: str, contact_id: uuid.UUID, at: datetime, summary: str, data: dict[str, Any]
    ) -> None:
        if kind == "OfferAccepted" and data.get("agent_id"):
            taken = {"agent_id": data["agent_id"], "at": at, "contact_id": contact_id}
            self.taken = [*self.taken, taken][-LAST_CONTACTS_KEPT:]
        self.conversations = follow_conversation(self.conversations, kind, contact_id, at, data)

    @event("InteractionJoined")
    def join_interaction(
        self, interaction_id: uuid.UUID, own_contact_id: uuid.UUID, contact_id: uuid.UUID
    ) -> None:
        """The interaction did not open a contact of its own: it joined a conversation."""
        self.reached = [*self.reached_ids(), str(contact_id)]

    def reached_ids(self) -> list[str]:
        """The ids of this customer's interactions and contacts, and the references of their
        raw mails: what erasing them must find in the streams and stores (snapshots from
        before: none known, see docs/security.md)."""
        found: list[str] = getattr(self, "reached", [])
        return found

    def learn_name(self, name: str | None) -> None:
        if name and not self.name:
            self._named(name)

    @event("Named")
    def _named(self, name: str) -> None:
        self.name = name

    # What staff add ----------------------------------------------------------------

    @event("ProfileUpdated")
    def update_profile(self, changes: dict[str, Any], by: str) -> None:
        for field, value in changes.items():
            setattr(self, field, value)

    @event("NoteAdded")
    def add_note(self, note_id: uuid.UUID, text: str, by: str, at: datetime) -> None:
        self.notes = {**self.notes, str(note_id): {"text": text, "by": by, "at": at}}

    @event("NoteRemoved")
    def remove_note(self, note_id: uuid.UUID, by: str) -> None:
        self.notes = {k: v for k, v in self.notes.items() if k != str(note_id)}

    @event("Tagged")
    def tag(self, tag: str, by: str) -> None:
        self.tags = sorted({*self.tags, tag})

    @event("Untagged")
    def untag(self, tag: str, by: str) -> None:
        self.tags = [t for t in self.tags if t != tag]

    @event("TierSet")
    def set_tier(self, tier: str | None, by: str) -> None:
        self.tier = tier

    @event("OwnerSet")
    def set_owner(self, owner_id: str | None, by: str, at: datetime) -> None:
        self.owner_id = owner_id

    @event("OrganizationOwnerSet")
    def set_organization_owner(
        self, organization: str, owner_id: str | None, by: str, at: datetime
    ) -> None:
        """The trace on the card's timeline; the owner is the organization's."""

    # Merging ----------------------------------------------------------------------
    # Evidence on each side names only that side's own identities, so erasing one
    # customer leaves none of their data under the other's key.

    @event("Absorbed")
    def absorb(
        self, other_id: uuid.UUID, evidence: dict[str, Any], approved_by: str | None
    ) -> None:
        self.absorbed = [*self.absorbed, other_id]

    @event("MergedInto")
    def merge_into(
        self, survivor_id: uuid.UUID, evidence: dict[str, Any], approved_by: str | None
    ) -> None:
        self.merged_into = survivor_id

    @event("Released")
    def release(self, other_id: uuid.UUID, by: str, reason: str) -> None:
        self.absorbed = [c for c in self.absorbed if c != other_id]

    @event("SplitOff")
    def split_off(self, survivor_id: uuid.UUID, by: str, reason: str) -> None:
        self.merged_into = None

    # Right to be forgotten --------------------------------------------------------

    def erase(self, by: str) -> None:
        self._erased(by, sorted(set(self.reached_ids())))

    @event("Erased")
    def _erased(self, by: str, reached: list[str] | None = None) -> None:
        """Stored in the clear (it holds no personal data, only ids): the trace that
        erasure happened, and which interactions and contacts the streams must lose."""
        self.reached = []
        self.identities = []
        self.verification = {}
        self.name = self.organization = self.reason = self.tier = self.owner_id = None
        self.language = None
        self.tags, self.notes, self.taken = [], {}, []
        self.erased = True

    def check_not_erased(self) -> None:
        if self.erased:
            raise CustomerErasedError(f"customer {self.id} was erased")


# What each routing event makes of a conversation on the card; the rest change nothing.
CONVERSATION_STATE = {
    "ContactQueued": "waiting",
    "ContactReopened": "waiting",
    "AgentOffered": "offered",
    "OfferAccepted": "open",
    "ContactWoken": "open",
    "ContactPending": "pending",
    "ContactSnoozed": "snoozed",
    "ContactTransferred": "waiting",
}
CONVERSATION_ENDED = frozenset({"ContactCompleted", "ContactAbandoned", "ContactCancelled"})


def follow_conversation(
    known: dict[str, dict[str, Any]],
    kind: str,
    contact_id: uuid.UUID,
    at: datetime,
    data: dict[str, Any],
) -> dict[str, dict[str, Any]]:
    key = str(contact_id)
    if kind in CONVERSATION_ENDED:
        return {k: v for k, v in known.items() if k != key}
    state = CONVERSATION_STATE.get(kind)
    if state is None:
        return known
    current = known.get(key, {"channel": data.get("channel"), "since": at, "agent_id": None})
    if kind in ("ContactQueued", "ContactReopened", "ContactTransferred"):
        agent = None  # back in a queue: nobody has it
    else:
        agent = data.get("agent_id") or current["agent_id"]
    return {**known, key: {**current, "state": state, "agent_id": agent}}
