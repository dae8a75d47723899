"""Signing in and out: a session token in the answer for programs, and the same token as
an HttpOnly, SameSite=Strict cookie for the desk (so page scripts never hold it)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from schemas.api import SessionRequest, SessionView
from switchboard.auth import SESSION_COOKIE, Authenticator, Principal
from switchboard.errors import NotAuthenticated


def session_router(auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/api/session", tags=["session"])
    signed_in = Depends(auth)

    @router.post("", response_model=SessionView)
    async def sign_in(body: SessionRequest, request: Request, response: Response) -> SessionView:
        token = auth.sign_in(body.user, body.password)
        if token is None:
            raise NotAuthenticated("unknown user or wrong password")
        principal = auth.principal_for(token)
        assert principal is not None
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=auth.max_age,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return _view(auth, principal, token)

    @router.get("", response_model=SessionView)
    async def who(principal: Principal = signed_in) -> SessionView:
        return _view(auth, principal)

    @router.delete("", status_code=204)
    async def sign_out(response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/")

    return router


def _view(auth: Authenticator, principal: Principal, token: str | None = None) -> SessionView:
    """Who is signed in, with the language and time zone their pages use (an API token's
    principal has neither: its pages follow the browser)."""
    person = next((p for p in auth.config.people if p.id == principal.id), None)
    return SessionView(
        user=principal.id,
        role=principal.role,
        token=token,
        locale=person.locale if person else None,
        time_zone=person.time_zone if person else None,
    )
