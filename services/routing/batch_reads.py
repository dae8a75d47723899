"""The aggregates placing a new message reads that do not exist yet when it opens a new
contact (switchboard/known_absent.py): asked for once per batch, not one read each."""

from __future__ import annotations

import uuid

from events import Event, InteractionReceived, contact_id_for
from services.routing.identification import Identification
from services.routing.thread import JoinedMessage


def expected_reads(event: Event) -> list[uuid.UUID]:
    if not isinstance(event, InteractionReceived):
        return []
    own_id = contact_id_for(event.interaction_id)
    return [own_id, JoinedMessage.create_id(own_id), Identification.create_id(own_id)]
