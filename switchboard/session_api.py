"""Signing in and out: a session token in the answer for programs, and the same token as
an HttpOnly, SameSite=Strict cookie for the desk (so page scripts never hold it)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request, Response

from schemas.api import SessionRequest, SessionView
from switchboard.auth import SESSION_COOKIE, Authenticator, Principal
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
        # The password hash takes a tenth of a second: not on the loop every request shares.
        token = await asyncio.to_thread(auth.sign_in, body.user, body.password)
        if token is None:
            auth.throttle.failed(keys)
            raise NotAuthenticated("unknown user or wrong password")
        auth.throttle.succeeded(keys[0])
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
        return SessionView(user=principal.id, role=principal.role, token=token)

    @router.get("", response_model=SessionView)
    async def who(principal: Principal = signed_in) -> SessionView:
        return SessionView(user=principal.id, role=principal.role)

    @router.delete("", status_code=204)
    async def sign_out(response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/")

    return router
