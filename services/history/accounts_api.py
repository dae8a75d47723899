"""The owners' book over HTTP: the customers an agent owns, with their open conversations."""

from __future__ import annotations

from collections.abc import Collection

from fastapi import APIRouter, Depends, HTTPException

from schemas.api import CustomerView
from services.history.application import HistoryApplication
from services.history.audit import Auditor
from switchboard.auth import STAFF, Authenticator, Principal
from switchboard.serial import SerialExecutor


def accounts_router(
    app: HistoryApplication,
    run: SerialExecutor,
    auth: Authenticator,
    agents: Collection[str],
    auditor: Auditor,
) -> APIRouter:
    router = APIRouter(prefix="/api/agents", tags=["history"])
    staff = Depends(auth.role(*STAFF))

    @router.get("/{agent_id}/accounts", response_model=list[CustomerView])
    async def accounts(agent_id: str, principal: Principal = staff) -> list[CustomerView]:
        """The customers `agent_id` owns, by name, each card with its open conversations.
        For the owner themselves, their supervisors (up the hierarchy) and admins."""
        if agent_id not in agents:
            raise HTTPException(404, f"agent {agent_id!r} not found")
        auth.require_manages(principal, agent_id)
        cards = await run(app.accounts, agent_id)
        await auditor.read(principal, "accounts", [c.customer_id for c in cards])
        return cards

    return router
