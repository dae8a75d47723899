"""HTTP API of standard answers: supervisors manage them, agents fill one for a contact."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeVar

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Depends, HTTPException

from schemas.api import CustomerView
from schemas.config import Person
from schemas.documents import (
    AnswerRequest,
    AnswerTemplateRequest,
    AnswerTemplateRevision,
    AnswerTemplateView,
    AnswerView,
)
from services.documents.answer_template import AnswerTemplate
from services.documents.application import (
    DocumentsApplication,
    TemplateExists,
    TemplateNotFound,
)
from services.documents.templating import TemplateProblem, variable_names
from services.documents.variables import template_variables
from switchboard.auth import STAFF, SUPERVISORS, Authenticator, Principal
from switchboard.errors import BadInput
from switchboard.serial import SerialExecutor

T = TypeVar("T")
# The card of a contact's customer, for someone who may see it (history's scope: 403 for an
# agent the customer was never offered to); None when it is not known (yet) or erased.
CardOfContact = Callable[[uuid.UUID, Principal], Awaitable[CustomerView | None]]


def template_view(t: AnswerTemplate) -> AnswerTemplateView:
    return AnswerTemplateView(
        template_id=t.id,
        shortcut=t.shortcut,
        channel=t.channel,
        language=t.language,
        title=t.title,
        body=t.body,
        variables=variable_names(t.body),
        uses=t.uses,
        retired=t.retired,
        updated_by=t.updated_by,
    )


async def documents_call(run: SerialExecutor, fn: Callable[..., T], *args: Any) -> T:
    """A documents command with its failures as 4xx."""
    try:
        return await run(fn, *args)
    except TemplateProblem as exc:
        raise BadInput.field(exc.field, exc.problem) from exc
    except TemplateNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except TemplateExists as exc:
        raise HTTPException(409, str(exc)) from exc
    except IntegrityError as exc:
        raise HTTPException(409, "changed at the same time elsewhere; try again") from exc


def answers_router(
    app: DocumentsApplication,
    run: SerialExecutor,
    auth: Authenticator,
    people: Collection[Person],
    card_of_contact: CardOfContact,
) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["documents"])
    staff = Depends(auth.role(*STAFF))
    supervisor = Depends(auth.role(*SUPERVISORS))
    by_id = {p.id: p for p in people}

    async def call(fn: Callable[..., T], *args: Any) -> T:
        return await documents_call(run, fn, *args)

    @router.get("/answer-templates", response_model=list[AnswerTemplateView])
    async def list_templates(
        include_retired: bool = False, _: Principal = staff
    ) -> list[AnswerTemplateView]:
        return [template_view(t) for t in await call(app.templates, include_retired)]

    @router.post("/answer-templates", response_model=AnswerTemplateView, status_code=201)
    async def create_template(
        body: AnswerTemplateRequest, principal: Principal = supervisor
    ) -> AnswerTemplateView:
        t = await call(
            app.create_template,
            body.shortcut,
            body.channel,
            body.language,
            body.title,
            body.body,
            principal.id,
        )
        return template_view(t)

    @router.put("/answer-templates/{template_id}", response_model=AnswerTemplateView)
    async def revise_template(
        template_id: uuid.UUID, body: AnswerTemplateRevision, principal: Principal = supervisor
    ) -> AnswerTemplateView:
        t = await call(app.revise_template, template_id, body.title, body.body, principal.id)
        return template_view(t)

    @router.delete("/answer-templates/{template_id}", status_code=204)
    async def retire_template(template_id: uuid.UUID, principal: Principal = supervisor) -> None:
        await call(app.retire_template, template_id, principal.id)

    @router.post("/contacts/{contact_id}/answers", response_model=AnswerView)
    async def fill_answer(
        contact_id: uuid.UUID, body: AnswerRequest, principal: Principal = staff
    ) -> AnswerView:
        """The standard answer for `/shortcut`, filled for this contact: the whole text, or
        a 400 naming the variable the template reads and this contact lacks."""
        card = await card_of_contact(contact_id, principal)
        language = body.language
        variables = template_variables(card, contact_id, body.channel, by_id.get(principal.id))
        t, text = await call(
            app.use_answer,
            body.shortcut,
            body.channel,
            language,
            variables,
            principal.id,
            contact_id,
        )
        return AnswerView(template_id=t.id, shortcut=t.shortcut, text=text)

    return router
