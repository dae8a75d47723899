"""The contact card of a customer and those merged into them: a plain function of the
aggregates, so a merge or unmerge changes it with no copy to keep in step."""

from __future__ import annotations

import uuid
from typing import Any

from schemas.api import CustomerView
from schemas.customers import LastContact, Note, OpenConversation, Organization
from services.history.customer import Customer


def group_card(root: Customer, members: list[Customer]) -> CustomerView:
    """`members`: every customer merged (directly or not) into `root`."""
    group = [root, *members]

    def first(attribute: str) -> Any:
        return next((getattr(c, attribute) for c in group if getattr(c, attribute)), None)

    organization = first("organization")
    notes = [
        Note(note_id=uuid.UUID(note_id), **note) for c in group for note_id, note in c.notes.items()
    ]
    taken = [LastContact(**t) for c in group for t in c.taken]
    conversations = [
        OpenConversation(contact_id=uuid.UUID(contact_id), **conversation)
        for c in group
        for contact_id, conversation in c.conversations.items()
    ]
    return CustomerView(
        customer_id=root.id,
        name=first("name"),
        identities=list(dict.fromkeys(i for c in group for i in c.identities)),
        verified_by={i: c.verification_of(i) for c in reversed(group) for i in c.identities},
        organization=Organization(**organization) if organization else None,
        reason=first("reason"),
        tier=first("tier"),
        owner_id=owner_of(group),
        owner_via="customer" if owner_of(group) else None,
        tags=sorted({t for c in group for t in c.tags}),
        notes=sorted(notes, key=lambda n: n.at),
        last_contacts=sorted(taken, key=lambda t: t.at, reverse=True),
        open_conversations=sorted(conversations, key=lambda o: o.since, reverse=True),
        merged_from=[c.id for c in members],
    )


def owner_of(group: list[Customer]) -> str | None:
    """The group's account owner: the survivor's, else the first merged one's."""
    return next((c.owner_id for c in group if c.owner_id), None)


def last_agent(group: list[Customer]) -> str | None:
    taken = [t for c in group for t in c.taken]
    return max(taken, key=lambda t: t["at"])["agent_id"] if taken else None
