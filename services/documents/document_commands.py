"""What people do with documents: generate, revise, ask for approval, decide, send.

Who must approve is decided by the caller from the rules (approval_policy); here the
aggregates enforce the rest: the requester never approves, a rejection has its comment,
a document goes out once and only when approved or needing no approval."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking

from events.documents import document_reply_id
from schemas.documents_config import DocumentTemplate
from services.documents.answer_template import Catalog
from services.documents.approval import Approval, ApprovalError, NotAnApprover
from services.documents.document import Document, DocumentReply
from services.documents.templating import render
from switchboard.store import TrackedApplication

DOCUMENTS = "documents"
# As routing ranks a reply's statuses: a late lesser one (sent after delivered) is dropped.
DELIVERY_RANK = {"requested": -1, "uncertain": 0, "sent": 1, "delivered": 2, "failed": 3}


class DocumentNotFound(LookupError):
    pass


class DocumentCommands(TrackedApplication):
    def generate(
        self,
        contact_id: uuid.UUID,
        customer_id: uuid.UUID | None,
        template: DocumentTemplate,
        variables: Mapping[str, Any],
        amount: float | None,
        by: str,
        at: datetime,
    ) -> Document:
        # 500, not 500.0, in the customer's text when the amount is whole.
        shown = int(amount) if amount is not None and float(amount).is_integer() else amount
        values = {**variables, "document": {"amount": shown} if shown is not None else {}}
        title = render(template.title, values, field="title")
        text = render(template.body, values)
        document = Document(contact_id, customer_id, template.name, title, text, amount, by, at)
        catalog = self._documents_catalog()
        catalog.add(document.id)
        self.commit(document, catalog)
        return document

    def revise(
        self, document_id: uuid.UUID, by: str, text: str, amount: float | None, at: datetime
    ) -> Document:
        document = self.document(document_id)
        if by != document.requester:
            raise NotAnApprover("only the requester revises their document")
        approval = self.approval(document_id)
        if approval is not None and approval.state != "rejected":
            raise ApprovalError(f"the document is {approval.state}: revise it after a rejection")
        if document.send is not None:
            raise ApprovalError("the document was sent already")
        document.revise(document.current["title"], text, amount, by, at)
        self.commit(document)
        return document

    def submit(self, document_id: uuid.UUID, by: str, steps: list[dict[str, Any]]) -> Approval:
        """First submission, or a resubmission of the revised version after a rejection."""
        document = self.document(document_id)
        approval = self.approval(document_id)
        ctx = self.ctx(document)
        if approval is None:
            if by != document.requester:
                raise NotAnApprover("only the requester asks for approval")
            first = {**ctx, "document_id": str(document.id), "requester": by, "asked": 1}
            approval = Approval(document.id, by, steps, first)
        else:
            if approval.state == "rejected" and approval.ctx["version"] == document.revision:
                raise ApprovalError("revise the document before resubmitting it")
            approval.resubmit(by, steps, ctx)
        self.commit(approval)
        return approval

    def approve(self, document_id: uuid.UUID, by: str, comment: str | None) -> Approval:
        approval = self._approval(document_id)
        approval.approve(by, comment)
        self.commit(approval)
        return approval

    def reject(self, document_id: uuid.UUID, by: str, comment: str) -> Approval:
        approval = self._approval(document_id)
        approval.reject(by, comment)
        self.commit(approval)
        return approval

    def delegate(self, document_id: uuid.UUID, by: str, to: str) -> Approval:
        approval = self._approval(document_id)
        approval.delegate(by, to)
        self.commit(approval)
        return approval

    def approver_away(
        self, person_id: str, status: str, standin: str | None, tracking: Tracking
    ) -> None:
        """`person_id` went away or offline: each step waiting on them goes to `standin`
        (their supervisor), unless that is the requester or already asked."""
        if self.is_processed(tracking):
            return
        changed = []
        for _document, approval in self.documents():
            if approval is None or person_id not in approval.approvers or standin is None:
                continue
            if (
                standin == approval.requester
                or standin in approval.steps[approval.step]["approvers"]
            ):
                continue
            approval.delegate(person_id, standin, why=status)
            changed.append(approval)
        self.commit(*changed, tracking=tracking)

    def approval_silent(
        self, document_id: uuid.UUID, asked: int, action: str, above: list[str], tracking: Tracking
    ) -> None:
        """A deadline fired: remind, or climb to `above`; nothing if the step moved on."""
        if self.is_processed(tracking):
            return
        approval = self.approval(document_id)
        if approval is None or approval.state != "pending" or approval.asked != asked:
            self.commit(tracking=tracking)
            return
        if action == "reminder":
            approval.remind()
        else:
            approval.climb(above)
        self.commit(approval, tracking=tracking)

    def request_send(
        self, document_id: uuid.UUID, by: str, at: datetime, needs_approval: bool = False
    ) -> Document:
        """Once: a second request for the same document changes nothing."""
        document = self.document(document_id)
        if document.send is not None:
            return document
        approval = self.approval(document_id)
        if approval is None and needs_approval:
            raise ApprovalError("the document needs approval: submit it first")
        if approval is not None and approval.state != "approved":
            raise ApprovalError(f"the document is {approval.state}, not approved")
        if approval is not None and approval.ctx["version"] != document.revision:
            raise ApprovalError("this version was not approved: submit it")
        if by != document.requester:
            raise NotAnApprover("only the requester sends their document")
        document.request_send(by, at)
        link = DocumentReply(document_reply_id(document.id, document.revision), document.id)
        self.commit(document, link)
        return document

    def record_delivery(
        self, reply_id: uuid.UUID, status: str, detail: str | None, at: datetime
    ) -> None:
        """What the channel said of the reply carrying a document (nothing if the reply
        carries none); a repeated status changes nothing."""
        link = self._get(reply_id)
        if not isinstance(link, DocumentReply):
            return
        document = self.document(link.document_id)
        known = DELIVERY_RANK.get(str((document.send or {}).get("status")), -1)
        if document.send is not None and DELIVERY_RANK.get(status, 0) > known:
            document.record_delivery(status, detail, at)
            self.commit(document)

    # Reading --------------------------------------------------------------------------

    def document(self, document_id: uuid.UUID) -> Document:
        found = self._get(document_id)
        if not isinstance(found, Document):
            raise DocumentNotFound(f"document {document_id} not found")
        return found

    def approval(self, document_id: uuid.UUID) -> Approval | None:
        found = self._get(Approval.create_id(document_id))
        return found if isinstance(found, Approval) else None

    def documents(self) -> list[tuple[Document, Approval | None]]:
        found = [self.document(i) for i in self._documents_catalog().ids]
        return [(d, self.approval(d.id)) for d in found]

    def ctx(self, document: Document) -> dict[str, Any]:
        return {
            "contact_id": str(document.contact_id),
            "title": document.current["title"],
            "version": document.revision,
            "amount": document.current["amount"],
        }

    def _approval(self, document_id: uuid.UUID) -> Approval:
        approval = self.approval(document_id)
        if approval is None:
            self.document(document_id)
            raise ApprovalError("no approval was asked for this document")
        return approval

    def _documents_catalog(self) -> Catalog:
        found = self._get(Catalog.create_id(DOCUMENTS))
        return found if isinstance(found, Catalog) else Catalog(DOCUMENTS)

    def _get(self, aggregate_id: uuid.UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
