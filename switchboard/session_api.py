"""Signing in and out: a session token in the answer for programs, and the same token as
an HttpOnly, SameSite=Strict cookie for the desk (so page scripts never hold it). Over HTTPS
(directly, or through a trusted gateway) the cookie is Secure and named `__Host-`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from schemas.api import SessionRequest, SessionView
from switchboard.auth import (
    SECURE_SESSION_COOKIE,
    SESSION_COOKIE,
    Authenticator,
    Principal,
    request_token,
)
from switchboard.errors import NotAuthenticated, TooManyTries
from switchboard.sign_in_throttle import keys_for


def session_router(auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/api/session", tags=["session"])
    signed_in = Depends(auth)

    @router.post("", response_model=SessionView)
    async def sign_in(body: SessionRequest, request: Request, response: Response) -> SessionView:
        """429 with Retry-After once an account or an address made too many failed tries."""
        keys = keys_for(body.user, request.client.host if request.client else None)
        wait = auth.throttle.retry_after(keys)
        if wait is not None:
            raise TooManyTries(wait)
        # The password hash (a tenth of a second or more) runs off the loop every request
        # shares: check_password hands it to a thread.
        person_id = await auth.check_password(body.user, body.password)
        if person_id is None:
            auth.throttle.failed(keys)
            raise NotAuthenticated("unknown user or wrong password")
        auth.throttle.succeeded(keys[0])
        token = await auth.open_session(person_id)
        principal = await auth.principal_for(token)
        assert principal is not None
        secure = request.url.scheme == "https"
        response.set_cookie(
            SECURE_SESSION_COOKIE if secure else SESSION_COOKIE,
            token,
            max_age=auth.max_age,
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/",
        )
        return _view(auth, principal, token)

    @router.get("", response_model=SessionView)
    async def who(principal: Principal = signed_in) -> SessionView:
        return _view(auth, principal)

    @router.delete("", status_code=204)
    async def sign_out(request: Request, response: Response) -> None:
        """Ends the session on the server: its token (cookie or bearer) is refused from now
        on, by every replica, and the person's live event streams close."""
        token = request_token(request)
        if token is not None:
            await auth.close_session(token)
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(SECURE_SESSION_COOKIE, path="/", secure=True)

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
