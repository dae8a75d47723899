"""What a template may read: plain dicts of strings built from the card, the contact and
the agent. Plain data, so the sandbox has no object whose methods could lead elsewhere."""

from __future__ import annotations

import uuid
from typing import Any

from schemas.api import CustomerView
from schemas.config import Person


def contact_reference(contact_id: uuid.UUID) -> str:
    """The short reference a customer can quote back (the contact id's first 8 digits)."""
    return "C-" + contact_id.hex[:8].upper()


def template_variables(
    card: CustomerView | None,
    contact_id: uuid.UUID | None,
    channel: str | None,
    agent: Person | None,
) -> dict[str, Any]:
    """Only what is known: an unknown name is left out, so a template reading it fails
    (StrictUndefined) instead of greeting "Dear ," - `| default(...)` gives a fallback."""
    organization = card.organization if card else None
    name = card.name if card else None
    return known(
        {
            "customer": {
                "name": name,
                "first_name": name.split(" ")[0] if name else None,
                "tier": card.tier if card else None,
                "tags": list(card.tags) if card else [],
                "organization": {
                    "name": organization.name,
                    "does": organization.does,
                    "decision_makers": list(organization.decision_makers),
                }
                if organization
                else None,
            },
            "contact": {
                "id": str(contact_id) if contact_id else None,
                "reference": contact_reference(contact_id) if contact_id else None,
                "channel": channel,
            },
            "agent": {
                "id": agent.id,
                "name": agent.name,
                "email": agent.email,
            }
            if agent
            else None,
        }
    )


def known(values: dict[str, Any]) -> dict[str, Any]:
    """`values` without its None entries, at every level."""
    return {k: known(v) if isinstance(v, dict) else v for k, v in values.items() if v is not None}
