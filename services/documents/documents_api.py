"""HTTP API of documents: generate one for a contact, revise it, ask for approval, decide,
send it; the PDF of any version; the approver's inbox and the requester's list."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Response

from events.base import utcnow
from schemas.config import SwitchboardConfig
from schemas.documents import (
    ApprovalView,
    DecisionRequest,
    DelegationRequest,
    DocumentRequest,
    DocumentView,
    RejectionRequest,
    RevisionRequest,
)
from services.documents.answers_api import CardOfContact, documents_call
from services.documents.application import DocumentsApplication
from services.documents.approval import Approval, ApprovalError, MissingComment, NotAnApprover
from services.documents.approval_policy import approval_steps, rule_for
from services.documents.document import Document
from services.documents.document_commands import DocumentNotFound
from services.documents.variables import template_variables
from switchboard.auth import STAFF, Authenticator, Principal
from switchboard.document_pdf import render_pdf
from switchboard.errors import BadInput, Forbidden
from switchboard.serial import SerialExecutor

T = TypeVar("T")


def document_view(document: Document, approval: Approval | None) -> DocumentView:
    current = document.current
    return DocumentView(
        document_id=document.id,
        contact_id=document.contact_id,
        customer_id=document.customer_id,
        template=document.template,
        title=current["title"],
        text=current["text"],
        amount=current["amount"],
        version=document.revision,
        requester=document.requester,
        approval=ApprovalView(
            state=approval.state,
            round=approval.round,
            step=approval.step,
            steps=len(approval.steps),
            mode=approval.mode,
            approvers=approval.approvers,
        )
        if approval is not None
        else None,
        send=document.send,
    )


def documents_router(
    app: DocumentsApplication,
    run: SerialExecutor,
    auth: Authenticator,
    config: SwitchboardConfig,
    card_of_contact: CardOfContact,
) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["documents"])
    staff = Depends(auth.role(*STAFF))
    people = {p.id: p for p in config.people}
    templates = {t.name: t for t in config.documents.templates}

    async def call(fn: Callable[..., T], *args: Any) -> T:
        try:
            return await documents_call(run, fn, *args)
        except DocumentNotFound as exc:
            raise HTTPException(404, str(exc)) from exc
        except NotAnApprover as exc:
            raise Forbidden(str(exc)) from exc
        except ApprovalError as exc:
            raise HTTPException(409, str(exc)) from exc
        except MissingComment as exc:
            raise BadInput.field("comment", str(exc)) from exc

    async def view(document_id: uuid.UUID) -> DocumentView:
        document = await call(app.document, document_id)
        return document_view(document, await call(app.approval, document_id))

    async def require_reader(principal: Principal, document_id: uuid.UUID) -> None:
        """A document is read by its requester, its approvers (and those above them), and
        whoever may see its customer: it is filled from the customer's card."""
        document = await call(app.document, document_id)
        approval = await call(app.approval, document_id)
        steps = approval.steps if approval is not None else []
        involved = {document.requester, *(a for step in steps for a in step["approvers"])}
        if not any(auth.manages(principal, person) for person in involved):
            await card_of_contact(document.contact_id, principal)

    def steps_for(document: Document, requester: str) -> list[dict[str, Any]]:
        amount = document.current["amount"]
        rule = rule_for(config.documents.approval_rules, document.template, amount)
        return [s.as_dict() for s in approval_steps(rule, requester, amount, people)]

    @router.get("/document-templates")
    async def document_templates(_: Principal = staff) -> list[dict[str, str]]:
        return [{"name": t.name, "title": t.title} for t in templates.values()]

    @router.post("/contacts/{contact_id}/documents", response_model=DocumentView, status_code=201)
    async def generate(
        contact_id: uuid.UUID, body: DocumentRequest, principal: Principal = staff
    ) -> DocumentView:
        """A document from a template, filled from the customer's card: all of it, or a 400
        naming what the template reads and this customer's card lacks."""
        template = templates.get(body.template)
        if template is None:
            raise BadInput.field("template", f"no document template {body.template!r}")
        card = await card_of_contact(contact_id, principal)
        variables = template_variables(card, contact_id, body.channel, people.get(principal.id))
        document = await call(
            app.generate,
            contact_id,
            card.customer_id if card else None,
            template,
            variables,
            body.amount,
            principal.id,
            utcnow(),
        )
        return document_view(document, None)

    @router.get("/contacts/{contact_id}/documents", response_model=list[DocumentView])
    async def of_contact(contact_id: uuid.UUID, principal: Principal = staff) -> list[DocumentView]:
        await card_of_contact(contact_id, principal)
        found = await call(app.documents)
        return [document_view(d, a) for d, a in found if d.contact_id == contact_id]

    @router.get("/documents/mine", response_model=list[DocumentView])
    async def mine(principal: Principal = staff) -> list[DocumentView]:
        """The documents I asked for, newest first, with their approval's state."""
        found = await call(app.documents)
        return [document_view(d, a) for d, a in reversed(found) if d.requester == principal.id]

    @router.get("/approvals/waiting", response_model=list[DocumentView])
    async def waiting(principal: Principal = staff) -> list[DocumentView]:
        """Needs my approval: documents whose current step asks me."""
        found = await call(app.documents)
        return [
            document_view(d, a) for d, a in found if a is not None and principal.id in a.approvers
        ]

    @router.get("/documents/{document_id}", response_model=DocumentView)
    async def get_document(document_id: uuid.UUID, principal: Principal = staff) -> DocumentView:
        await require_reader(principal, document_id)
        return await view(document_id)

    @router.get("/documents/{document_id}/versions/{version}.pdf")
    async def pdf(document_id: uuid.UUID, version: int, principal: Principal = staff) -> Response:
        await require_reader(principal, document_id)
        document = await call(app.document, document_id)
        if not 1 <= version <= document.revision:
            raise HTTPException(404, f"document {document_id} has no version {version}")
        v = document.versions[version - 1]
        footer = f"{document.template} · v{version} · {v['at'].astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        body = await run(render_pdf, v["title"], v["text"], footer, v["at"])
        return Response(body, media_type="application/pdf")

    @router.post("/documents/{document_id}/revise", response_model=DocumentView)
    async def revise(
        document_id: uuid.UUID, body: RevisionRequest, principal: Principal = staff
    ) -> DocumentView:
        await call(app.revise, document_id, principal.id, body.text, body.amount, utcnow())
        return await view(document_id)

    @router.post("/documents/{document_id}/submit", response_model=DocumentView)
    async def submit(document_id: uuid.UUID, principal: Principal = staff) -> DocumentView:
        """Asks for approval as the rules say (or records that none is needed); after a
        rejection and a revision, resubmits the new version in the same history."""
        document = await call(app.document, document_id)
        await call(app.submit, document_id, principal.id, steps_for(document, document.requester))
        return await view(document_id)

    @router.post("/documents/{document_id}/approve", response_model=DocumentView)
    async def approve(
        document_id: uuid.UUID, body: DecisionRequest, principal: Principal = staff
    ) -> DocumentView:
        await call(app.approve, document_id, principal.id, body.comment)
        return await view(document_id)

    @router.post("/documents/{document_id}/reject", response_model=DocumentView)
    async def reject(
        document_id: uuid.UUID, body: RejectionRequest, principal: Principal = staff
    ) -> DocumentView:
        await call(app.reject, document_id, principal.id, body.comment)
        return await view(document_id)

    @router.post("/documents/{document_id}/delegate", response_model=DocumentView)
    async def delegate(
        document_id: uuid.UUID, body: DelegationRequest, principal: Principal = staff
    ) -> DocumentView:
        if body.to not in people:
            raise BadInput.field("to", f"unknown person {body.to!r}")
        await call(app.delegate, document_id, principal.id, body.to)
        return await view(document_id)

    @router.post("/documents/{document_id}/send", response_model=DocumentView)
    async def send(document_id: uuid.UUID, principal: Principal = staff) -> DocumentView:
        """To the customer on the conversation's channel, once: approved, or needing no
        approval. Its delivery status follows on the customer's timeline."""
        document = await call(app.document, document_id)
        needs = bool(steps_for(document, document.requester))
        await call(app.request_send, document_id, principal.id, utcnow(), needs)
        return await view(document_id)

    return router
