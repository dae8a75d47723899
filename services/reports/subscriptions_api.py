"""Routes for subscribing to e-mailed reports (supervisors and admins, for themselves)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from events.base import utcnow
from services.reports.schedule import Subscription, next_due
from services.reports.scheduled import ScheduledReports, SubscriptionRequest
from switchboard.auth import SUPERVISORS, Authenticator, Principal


def _view(sub: Subscription) -> dict[str, Any]:
    return {
        "subscription_id": str(sub.subscription_id),
        "cadence": sub.cadence,
        "at": sub.at.isoformat(),
        "weekday": sub.weekday,
        "time_zone": sub.time_zone,
        "group_by": sub.group_by,
        "last_sent_for": sub.last_due.isoformat() if sub.last_due else None,
        "next_due": next_due(sub, sub.last_due or utcnow()).isoformat(),
    }


def subscriptions_router(scheduled: ScheduledReports, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["reports"])
    supervisors = Depends(auth.role(*SUPERVISORS))
    run = scheduled.run

    @router.post("/api/reports/subscriptions", status_code=201)
    async def subscribe(body: SubscriptionRequest, who: Principal = supervisors) -> dict[str, Any]:
        """E-mail me this report daily (or weekly) at `at` in `time_zone`."""
        return _view(await scheduled.subscribe(who, body))

    @router.get("/api/reports/subscriptions")
    async def mine(who: Principal = supervisors) -> list[dict[str, Any]]:
        return [_view(s) for s in await run(scheduled.view.subscriptions, who.id)]

    @router.delete("/api/reports/subscriptions/{subscription_id}", status_code=204)
    async def unsubscribe(subscription_id: uuid.UUID, who: Principal = supervisors) -> None:
        sub = await run(scheduled.view.subscription, subscription_id)
        if sub is None or sub.person_id != who.id:
            raise HTTPException(404, f"no subscription {subscription_id} of yours")
        await run(scheduled.view.unsubscribe, subscription_id)

    return router
