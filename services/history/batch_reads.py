"""The aggregates recording a message reads that do not exist yet for a new contact and a
first-time sender (switchboard/known_absent.py): asked for once per batch, not one read
each."""

from __future__ import annotations

import uuid

from events import Event, InteractionReceived, contact_id_for
from services.history.identity_claim import claim_id
from services.history.identity_policy import sender_identities


def expected_reads(event: Event) -> list[uuid.UUID]:
    if not isinstance(event, InteractionReceived):
        return []
    claims = [claim_id(identity) for identity in sender_identities(event.sender)]
    return [contact_id_for(event.interaction_id), *claims]
