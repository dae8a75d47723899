"""The aggregates placing a new message (or naming its customer) reads that may not exist
yet, when it opens a new contact (or history named it first): asked for once per batch
(switchboard/known_absent.py), not one read each."""

from __future__ import annotations

import uuid

from events import CustomerIdentified, Event, InteractionReceived, contact_id_for
from services.routing.identification import Identification
from services.routing.thread import JoinedMessage


def expected_reads(event: Event) -> list[uuid.UUID]:
    if isinstance(event, InteractionReceived):
        own_id = contact_id_for(event.interaction_id)
    elif isinstance(event, CustomerIdentified):
        own_id = event.contact_id  # history was quicker: the contact may not be open yet
    else:
        return []
    return [own_id, JoinedMessage.create_id(own_id), Identification.create_id(own_id)]
