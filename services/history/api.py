"""History's HTTP API: find a customer, read their card and timeline, and what staff do
with them (notes, tags, tier, merges, erasure)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from eventsourcing.persistence import RecordConflictError
from fastapi import APIRouter, Depends, HTTPException, Query, Response

from schemas.api import CustomerView, TimelineEntry
from schemas.customers import (
    MergeRequest,
    MergeResult,
    MergeSuggestionView,
    NoteRequest,
    OwnerRequest,
    ProfileUpdate,
    TagRequest,
    TierRequest,
    UnmergeRequest,
)
from schemas.identity import InvalidIdentity, normalize_email, normalize_phone
from services.history.application import (
    CustomerErasedError,
    CustomerNotFound,
    HistoryApplication,
    MergeConflict,
)
from services.history.audit import Auditor
from services.history.merge_suggestion import SuggestionDecided
from services.history.scope import CustomerScope
from services.history.timeline import TimelineView
from switchboard.auth import STAFF, SUPERVISORS, Authenticator, Principal
from switchboard.errors import BadInput, Forbidden
from switchboard.serial import SerialExecutor

T = TypeVar("T")


def history_router(
    app: HistoryApplication,
    view: TimelineView,
    run: SerialExecutor,
    view_run: SerialExecutor,
    default_region: str,
    auth: Authenticator,
    scope: CustomerScope,
    auditor: Auditor,
    tiers: list[str] | None = None,
    agents: Collection[str] = (),
) -> APIRouter:
    # Staff see the customers in their scope (services.history.scope), an integrator's CRM
    # by its token's scope; each read is audited. Changing one takes staff, and merging or
    # tiering a supervisor.
    reader = Depends(auth.role(*STAFF, "integrator"))
    router = APIRouter(prefix="/api/customers", tags=["history"], dependencies=[reader])
    known_tiers = tiers or ["vip", "standard"]
    staff = Depends(auth.role(*STAFF))
    supervisor = Depends(auth.role(*SUPERVISORS))
    admin = Depends(auth.role("admin"))

    async def do(fn: Callable[..., T], *args: Any) -> T:
        try:
            return await run(fn, *args)
        except (CustomerNotFound, LookupError) as exc:
            raise HTTPException(404, str(exc)) from exc
        except CustomerErasedError as exc:
            raise HTTPException(410, str(exc)) from exc
        except (MergeConflict, SuggestionDecided) as exc:
            raise HTTPException(409, str(exc)) from exc
        except RecordConflictError as exc:
            raise HTTPException(409, "changed at the same time elsewhere; try again") from exc

    async def scoped_card(customer_id: uuid.UUID, principal: Principal) -> CustomerView:
        """The card, if `principal` may see it (404, 410 or 403 otherwise)."""
        card = await do(app.card, customer_id)
        try:
            await scope.require(principal, card)
        except Forbidden:
            await auditor.read(principal, "refused", [card.customer_id])
            raise
        return card

    @router.get("", response_model=list[CustomerView])
    async def search(
        email: str | None = None,
        phone: str | None = None,
        handle: Annotated[
            str | None,
            Query(
                pattern=r"^[a-z][a-z0-9_]*:.+$",
                description="a namespaced messenger identity, e.g. telegram:12345",
            ),
        ] = None,
        q: Annotated[
            str | None,
            Query(min_length=2, max_length=100, description="part of a name or organization"),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        principal: Principal = reader,
    ) -> list[CustomerView]:
        wanted: list[str] = [handle] if handle else []
        try:
            if email:
                wanted.append(f"email:{normalize_email(email)}")
            if phone:
                wanted.append(f"phone:{normalize_phone(phone, default_region)}")
        except InvalidIdentity as exc:
            raise BadInput.field("email" if email and not phone else "phone", str(exc)) from exc
        if not wanted and not q:
            raise HTTPException(400, "give email, phone, handle or q")
        found: dict[uuid.UUID, CustomerView] = {}
        for identity in wanted:
            card = await do(app.find, identity)
            if card is not None:
                found[card.customer_id] = card
        if q:
            # Some matches may be out of the caller's scope: look a little further.
            wider = limit if scope.sees_all(principal) else min(5 * limit, 200)
            for customer_id in await view_run(view.search, q, wider):
                card = await do(app.card, customer_id)
                found[card.customer_id] = card
        shown = (await scope.visible(principal, found.values()))[:limit]
        await auditor.read(principal, "search", [c.customer_id for c in shown])
        return shown

    @router.get("/merge-suggestions", response_model=list[MergeSuggestionView])
    async def suggestions(
        status: Literal["pending", "confirmed", "rejected"] | None = "pending",
        principal: Principal = supervisor,
    ) -> list[MergeSuggestionView]:
        found = await view_run(view.suggestions, status)
        if not scope.sees_all(principal):
            found = [s for s in found if await decides(principal, s.a, s.b)]
        return [MergeSuggestionView.model_validate(s, from_attributes=True) for s in found]

    async def decides(principal: Principal, a: uuid.UUID, b: uuid.UUID) -> bool:
        """A suggestion shows and changes both customers: the caller must see both."""
        cards: list[CustomerView] = []
        for customer_id in (a, b):
            try:
                cards.append(await run(app.card, customer_id))
            except (CustomerNotFound, CustomerErasedError, LookupError):
                return False
        return all([await scope.may_read(principal, card) for card in cards])

    async def require_suggestion_scope(principal: Principal, suggestion_id: uuid.UUID) -> None:
        if scope.sees_all(principal):
            return
        found = await view_run(view.suggestions, None)
        match = next((s for s in found if s.suggestion_id == suggestion_id), None)
        if match is not None and not await decides(principal, match.a, match.b):
            await auditor.read(principal, "refused", [match.a, match.b])
            raise Forbidden(f"{principal.id} may not decide suggestion {suggestion_id}")

    @router.post("/merge-suggestions/{suggestion_id}/confirm", response_model=CustomerView)
    async def confirm(suggestion_id: uuid.UUID, principal: Principal = supervisor) -> CustomerView:
        await require_suggestion_scope(principal, suggestion_id)
        survivor = await do(app.confirm_suggestion, suggestion_id, principal.id)
        return await do(app.card, survivor.id)

    @router.post("/merge-suggestions/{suggestion_id}/reject", status_code=204)
    async def reject(suggestion_id: uuid.UUID, principal: Principal = supervisor) -> Response:
        await require_suggestion_scope(principal, suggestion_id)
        await do(app.reject_suggestion, suggestion_id, principal.id)
        return Response(status_code=204)

    @router.get("/{customer_id}", response_model=CustomerView)
    async def card(customer_id: uuid.UUID, principal: Principal = reader) -> CustomerView:
        card = await scoped_card(customer_id, principal)
        await auditor.read(principal, "card", [card.customer_id])
        return card

    @router.patch("/{customer_id}", response_model=CustomerView)
    async def update(
        customer_id: uuid.UUID,
        body: ProfileUpdate,
        principal: Principal = staff,
    ) -> CustomerView:
        await scoped_card(customer_id, principal)
        await do(app.update_profile, customer_id, body.changes(), principal.id)
        return await do(app.card, customer_id)

    @router.post("/{customer_id}/notes", response_model=CustomerView, status_code=201)
    async def add_note(
        customer_id: uuid.UUID,
        body: NoteRequest,
        principal: Principal = staff,
    ) -> CustomerView:
        await scoped_card(customer_id, principal)
        await do(app.add_note, customer_id, body.text, principal.id)
        return await do(app.card, customer_id)

    @router.delete("/{customer_id}/notes/{note_id}", status_code=204)
    async def remove_note(
        customer_id: uuid.UUID,
        note_id: uuid.UUID,
        principal: Principal = staff,
    ) -> Response:
        card = await scoped_card(customer_id, principal)
        note = next((n for n in card.notes if n.note_id == note_id), None)
        if note is not None:
            scope.require_note_author(principal, note.by)
        if not await do(app.remove_note, customer_id, note_id, principal.id):
            raise HTTPException(404, f"note {note_id} not found")
        return Response(status_code=204)

    @router.post("/{customer_id}/tags", response_model=CustomerView)
    async def tag(
        customer_id: uuid.UUID,
        body: TagRequest,
        principal: Principal = staff,
    ) -> CustomerView:
        await scoped_card(customer_id, principal)
        await do(app.tag, customer_id, body.tag, principal.id)
        return await do(app.card, customer_id)

    @router.delete("/{customer_id}/tags/{tag}", response_model=CustomerView)
    async def untag(customer_id: uuid.UUID, tag: str, principal: Principal = staff) -> CustomerView:
        await scoped_card(customer_id, principal)
        await do(app.untag, customer_id, tag, principal.id)
        return await do(app.card, customer_id)

    @router.put("/{customer_id}/tier", response_model=CustomerView)
    async def set_tier(
        customer_id: uuid.UUID,
        body: TierRequest,
        principal: Principal = supervisor,
    ) -> CustomerView:
        if body.tier is not None and body.tier not in known_tiers:
            raise BadInput.field("tier", f"one of {', '.join(known_tiers)}, or null")
        await scoped_card(customer_id, principal)
        await do(app.set_tier, customer_id, body.tier, principal.id)
        return await do(app.card, customer_id)

    def require_agent_or_none(agent_id: str | None) -> None:
        """An account owner is an agent (or nobody)."""
        if agent_id is not None and agent_id not in agents:
            raise BadInput.field("agent_id", f"{agent_id!r} is not an agent, or null")

    @router.put("/{customer_id}/owner", response_model=CustomerView)
    async def set_owner(
        customer_id: uuid.UUID,
        body: OwnerRequest,
        principal: Principal = supervisor,
    ) -> CustomerView:
        """A supervisor gives the customer an account owner (an agent), or none: their
        contacts go to the owner first, then the owner's team, then the queue."""
        require_agent_or_none(body.agent_id)
        await scoped_card(customer_id, principal)
        await do(app.set_owner, customer_id, body.agent_id, principal.id)
        return await do(app.card, customer_id)

    @router.put("/{customer_id}/organization/owner", response_model=CustomerView)
    async def set_organization_owner(
        customer_id: uuid.UUID,
        body: OwnerRequest,
        principal: Principal = supervisor,
    ) -> CustomerView:
        """A supervisor gives the customer's organization an account owner (or none): its
        people without an owner of their own inherit it (409 without an organization)."""
        require_agent_or_none(body.agent_id)
        await scoped_card(customer_id, principal)
        await do(app.set_organization_owner, customer_id, body.agent_id, principal.id)
        return await do(app.card, customer_id)

    @router.post("/{customer_id}/merge", response_model=MergeResult)
    async def merge(
        customer_id: uuid.UUID,
        body: MergeRequest,
        principal: Principal = supervisor,
    ) -> MergeResult:
        survivor, other = (
            (customer_id, body.with_) if body.with_ is not None else (body.into, customer_id)
        )
        assert survivor is not None and other is not None
        for each in (survivor, other):
            await scoped_card(each, principal)
        kept = await do(app.merge, survivor, other, principal.id, body.reason)
        return MergeResult(survivor_id=kept.id, absorbed_id=other)

    @router.post("/{customer_id}/unmerge", response_model=CustomerView)
    async def unmerge(
        customer_id: uuid.UUID,
        body: UnmergeRequest | None = None,
        principal: Principal = supervisor,
    ) -> CustomerView:
        reason = body.reason if body else ""
        await scoped_card(customer_id, principal)
        split = await do(app.unmerge, customer_id, principal.id, reason)
        return await do(app.card, split.id)

    async def erase_customer(customer_id: uuid.UUID, principal: Principal) -> Response:
        await do(app.erase, customer_id, principal.id)
        return Response(status_code=204)

    @router.delete("/{customer_id}", status_code=204)
    async def erase(customer_id: uuid.UUID, principal: Principal = admin) -> Response:
        """Right to be forgotten: the person's data can no longer be read anywhere in
        history (their keys are destroyed); only the fact of erasure stays."""
        return await erase_customer(customer_id, principal)

    @router.post("/{customer_id}/erase", status_code=204)
    async def erase_by_post(customer_id: uuid.UUID, principal: Principal = admin) -> Response:
        return await erase_customer(customer_id, principal)

    @router.get("/{customer_id}/timeline", response_model=list[TimelineEntry])
    async def timeline(
        customer_id: uuid.UUID,
        # Positions are 64-bit in both stores: a larger cursor is a 400, not a 500.
        before: Annotated[
            int | None, Query(ge=1, le=2**63 - 1, description="position cursor")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        channel: str | None = None,
        as_of: Annotated[
            datetime | None, Query(description="the timeline as it stood at this moment")
        ] = None,
        principal: Principal = reader,
    ) -> list[TimelineEntry]:
        """Newest first; pass the last entry's position as `before` for the next page. A
        merged customer's timeline is the survivor's, with both histories."""
        if as_of is not None and as_of.tzinfo is None:
            raise BadInput.field("as_of", "give a time zone, e.g. 2025-01-31T12:00:00Z")
        if not scope.sees_all(principal):
            await scoped_card(customer_id, principal)
        rows = await view_run(view.rows, customer_id, before, limit, channel, as_of)
        await auditor.read(principal, "timeline", [customer_id])
        return [
            TimelineEntry(
                position=r.position,
                at=r.at,
                kind=r.kind,
                channel=r.channel,
                contact_id=r.contact_id,
                summary=r.summary,
                data=r.data,
            )
            for r in rows
        ]

    return router
