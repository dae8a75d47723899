"""Contracts published by the documents module (sb.events.documents.<Event>) and its timers.

Every step of a document's life is one event with who, when and the comment, so the
customer's timeline shows the whole approval history."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from events.base import Event, derived_id
from events.routing import Deadline

PREFIX = "sb.events.documents"


def document_reply_id(document_id: uuid.UUID, version: int) -> uuid.UUID:
    """The id of the reply that carries a document's version: routing records it, ingest
    sends it once, and the documents store finds its document by it."""
    return derived_id("document", str(document_id), str(version))


class DocumentStep(Event):
    contact_id: uuid.UUID
    document_id: uuid.UUID
    document_version: int
    title: str
    by: str | None = None  # who acted; None: the system (a deadline)
    comment: str | None = None
    summary: str  # one line for the timeline
    # Whom the notifier tells (approvers asked, or the requester of a decision).
    notify: list[str] = []
    # Set when this step asks approvers (again): the count the approval's deadlines carry,
    # so a deadline of an earlier ask finds it stale and does nothing.
    asked: int | None = None


class DocumentGenerated(DocumentStep):
    subject: ClassVar[str] = f"{PREFIX}.DocumentGenerated"
    template: str
    amount: float | None = None


class ApprovalRequested(DocumentStep):
    """Approvers of the current step are asked (also after a resubmission)."""

    subject: ClassVar[str] = f"{PREFIX}.ApprovalRequested"
    requester: str
    approvers: list[str]
    step: int


class ApprovalReminded(DocumentStep):
    subject: ClassVar[str] = f"{PREFIX}.ApprovalReminded"
    approvers: list[str]
    step: int


class ApprovalClimbed(DocumentStep):
    """Nobody of the step answered in time: it went to the next senior person."""

    subject: ClassVar[str] = f"{PREFIX}.ApprovalClimbed"
    approvers: list[str]
    step: int


class ApprovalDelegated(DocumentStep):
    subject: ClassVar[str] = f"{PREFIX}.ApprovalDelegated"
    to_person_id: str
    step: int


class DocumentApproved(DocumentStep):
    """One approver approved; `final` when the document needs nobody else."""

    subject: ClassVar[str] = f"{PREFIX}.DocumentApproved"
    requester: str
    step: int
    final: bool


class DocumentRejected(DocumentStep):
    subject: ClassVar[str] = f"{PREFIX}.DocumentRejected"
    requester: str
    step: int


class DocumentSendRequested(DocumentStep):
    """Approved (or needing no approval): routing sends it on the conversation's channel."""

    subject: ClassVar[str] = f"{PREFIX}.DocumentSendRequested"
    text: str
    file_name: str


class DocumentDelivery(DocumentStep):
    subject: ClassVar[str] = f"{PREFIX}.DocumentDelivery"
    status: Literal["sent", "failed", "uncertain"]
    channel: str


class ApprovalDeadline(Deadline):
    """An approval step was silent: `reminder` first, then `climb`."""

    subject: ClassVar[str] = "sb.timers.fired.approval.*"
    kind: ClassVar[str] = "approval"
    document_id: uuid.UUID
    asked: int
    action: Literal["reminder", "climb"]

    def key(self) -> str:
        return f"{self.document_id}-{self.asked}-{self.action}"


DOCUMENT_EVENTS: tuple[type[Event], ...] = (
    DocumentGenerated,
    ApprovalRequested,
    ApprovalReminded,
    ApprovalClimbed,
    ApprovalDelegated,
    DocumentApproved,
    DocumentRejected,
    DocumentSendRequested,
    DocumentDelivery,
    ApprovalDeadline,
)
