"""The desk and console: their pages (plain HTML, CSS and JavaScript modules, no build
step), the live push for the signed-in person, and the notifications supervisors watch."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, StreamingResponse

from schemas.api import NotificationView
from services.notifier.live import DeskHub
from services.notifier.notifications_view import NotificationsView
from switchboard.auth import STAFF, SUPERVISORS, Authenticator, Principal, request_token

WEB = Path(__file__).parent / "web"
TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".json": "application/json",  # the pages' message catalogs
    ".svg": "image/svg+xml",
}
# Pages load only what they ship: no inline script, nothing from elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}


def desk_router(hub: DeskHub, view: NotificationsView, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["desk"])
    staff = Depends(auth.role(*STAFF))
    supervisors = Depends(auth.role(*SUPERVISORS))
    assets = {p.name: p for p in WEB.iterdir() if p.suffix in TYPES}

    def page(name: str) -> FileResponse:
        path = assets[name]
        return FileResponse(path, media_type=TYPES[path.suffix], headers=PAGE_HEADERS)

    @router.get("/desk", include_in_schema=False)
    async def desk() -> FileResponse:
        return page("desk.html")

    @router.get("/status", include_in_schema=False)
    async def status() -> FileResponse:
        """A customer's request, through a signed link (the token is in the fragment)."""
        return page("status.html")

    @router.get("/console", include_in_schema=False)
    async def console() -> FileResponse:
        return page("console.html")

    @router.get("/reports", include_in_schema=False)
    async def reports() -> FileResponse:
        return page("reports.html")

    @router.get("/ui/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        if name not in assets or name.endswith(".html"):
            raise HTTPException(404, f"no such file {name!r}")
        return page(name)

    @router.get("/api/desk/events", response_class=StreamingResponse)
    async def events(request: Request, principal: Principal = staff) -> StreamingResponse:
        """Server-sent events for the signed-in person: their offers, escalations and
        flags addressed to them, their contacts' changes; supervisors also get `board`
        hints. `hello` comes first: re-read your state then. It closes when the session
        ends (signed out, timed out, password changed)."""
        token = request_token(request) or ""

        async def still_valid() -> bool:
            return await auth.principal_for(token) is not None

        return StreamingResponse(
            hub.stream(principal, still_valid),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.get("/api/notifications", response_model=list[NotificationView])
    async def notifications(
        status: Literal["pending", "delivered", "failed"] | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        _: Principal = supervisors,
    ) -> list[NotificationView]:
        """What the notifier sent or could not send, newest change first."""
        return view.select(status, limit)

    return router
