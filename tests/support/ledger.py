"""What became of each message sent, read from the history event store (the truth).

History records every interaction on its customer's timeline and every relayed routing
event of the contact it opened, so one store answers: was the interaction recorded (once?),
was its contact queued once, offered, never held by two agents at once, accepted at most
once, escalated once per rung. The escalation e-mails are checked against the mailbox.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from services.history.application import HistoryApplication
from switchboard.settings import Settings
from switchboard.store import event_store_env
from tests.support.traffic import Sent

TOKEN = re.compile(r"sb[0-9a-f]{8}x\d+")
OFFER_ENDS = {"OfferExpired", "OfferAccepted", "OfferDeclined", "OfferWithdrawn"}


@dataclass
class Fate:
    """One sent message's interaction and the contact it opened."""

    recorded: int = 0
    customers: set[uuid.UUID] = field(default_factory=set)
    contact_id: uuid.UUID | None = None
    received_at: datetime | None = None  # when ingest accepted the interaction
    events: list[tuple[str, datetime, dict[str, Any]]] = field(default_factory=list)

    def kinds(self) -> Counter[str]:
        return Counter(kind for kind, _, _ in self.events)

    def offered_at(self) -> datetime | None:
        return next((at for kind, at, _ in self.events if kind == "AgentOffered"), None)

    def overlapping_offers(self) -> bool:
        """Two agents held an offer of this contact at the same time."""
        open_offers: set[str] = set()
        for kind, _, data in self.events:
            if kind == "AgentOffered":
                if open_offers:
                    return True
                open_offers.add(data["offer_id"])
            elif kind in OFFER_ENDS:
                open_offers.discard(data["offer_id"])
        return False

    def escalated_to(self) -> list[str]:
        return [data["to_person_id"] for kind, _, data in self.events if kind == "ContactEscalated"]

    def doubled(self) -> list[str]:
        """What happened more than once that must happen at most once."""
        kinds = self.kinds()
        problems = []
        if self.recorded > 1:
            problems.append(f"recorded {self.recorded} times")
        if len(self.customers) > 1:
            problems.append(f"on {len(self.customers)} timelines")
        for once in ("ContactQueued", "OfferAccepted", "ContactCompleted"):
            if kinds[once] > 1:
                problems.append(f"{once} x{kinds[once]}")
        escalations = self.escalated_to()
        if len(escalations) != len(set(escalations)):
            problems.append(f"escalated twice: {escalations}")
        if self.overlapping_offers():
            problems.append("offered to two agents at once")
        return problems


class FateReader:
    """Reads the history store from where it stopped last time: a wait polling a store of
    tens of thousands of events reads each event once, not once per poll."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.position = 0
        self.by_token: dict[str, Fate] = {}
        self.by_contact: dict[uuid.UUID, list[tuple[str, datetime, dict[str, Any]]]] = {}

    def read(self) -> dict[str, Fate]:
        """Every token found in the history store so far, with what happened to its contact."""
        app = HistoryApplication(env=event_store_env(self.settings, "history"))
        try:
            for position, event in _stored(app, self.position):
                self.position = position
                self._add(event)
        finally:
            app.close()
        for fate in self.by_token.values():
            if fate.contact_id is not None:
                fate.events = self.by_contact.get(fate.contact_id, [])
        return self.by_token

    def _add(self, event: Any) -> None:
        kind = type(event).__qualname__
        if kind == "Customer.InteractionRecorded":
            match = TOKEN.search(event.text)
            if match is None:
                return
            fate = self.by_token.setdefault(match.group(), Fate())
            fate.recorded += 1
            fate.customers.add(event.originator_id)
            fate.contact_id = event.contact_id
            fate.received_at = event.at
        elif kind == "Customer.ContactEventRecorded":
            entry = (event.kind, event.at, event.data)
            self.by_contact.setdefault(event.contact_id, []).append(entry)


def read_fates(settings: Settings) -> dict[str, Fate]:
    """Every token found in the history store, with what happened to its contact."""
    return FateReader(settings).read()


def _stored(app: HistoryApplication, after: int) -> Iterable[tuple[int, Any]]:
    position = after
    while batch := app.recorder.select_notifications(
        start=position, limit=1000, inclusive_of_start=False
    ):
        for notification in batch:
            yield notification.id, app.mapper.to_domain_event(notification)
        position = batch[-1].id


def escalation_mails(messages: Sequence[EmailMessage]) -> dict[str, set[str]]:
    """Contact id -> the distinct Message-IDs of escalation e-mails about it. A crash between
    sending and recording may send one twice with the same Message-ID (mail systems drop
    it); a second Message-ID would be a second escalation."""
    found: dict[str, set[str]] = {}
    for msg in messages:
        if "Escalation" not in str(msg["Subject"]):
            continue
        body = msg.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        for contact in re.findall(r"/api/contacts/([0-9a-f-]{36})", text):
            found.setdefault(contact, set()).add(str(msg["Message-ID"]))
    return found


@dataclass
class Tally:
    """Accepted messages of one fault (or run) and what the stores made of them."""

    name: str
    sent: int = 0
    recorded: int = 0
    offered: int = 0
    lost: list[str] = field(default_factory=list)
    doubled: dict[str, list[str]] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"fault={self.name} sent={self.sent} recorded={self.recorded} "
            f"offered={self.offered} lost={len(self.lost)} doubled={len(self.doubled)}"
        )


def tally(name: str, sent: Iterable[Sent], fates: dict[str, Fate]) -> Tally:
    result = Tally(name)
    for item in sent:
        if not item.accepted_at:
            continue
        result.sent += 1
        fate = fates.get(item.token)
        if fate is None or not fate.recorded:
            result.lost.append(item.token)
            continue
        result.recorded += 1
        result.offered += fate.offered_at() is not None
        if problems := fate.doubled():
            result.doubled[item.token] = problems
    return result
