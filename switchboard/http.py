"""The HTTP application: services' routers, clear errors, health."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.api import ErrorDetail, ErrorResponse, Health
from switchboard.auth import Authenticator
from switchboard.body_limit import BodyLimit
from switchboard.errors import (
    BadInput,
    BadSignature,
    ChannelUnavailable,
    Forbidden,
    NotAuthenticated,
    TooLarge,
    TooManyRequests,
    UnknownSource,
)
from switchboard.route_index import RouteIndex
from switchboard.service import Service
from switchboard.session_api import session_router

log = logging.getLogger(__name__)
# Nothing people send to the API (a reply, a note, a profile) comes near it.
API_MAX_BODY_BYTES = 256 * 1024


def _error(status: int, error: str, details: list[ErrorDetail] | None = None) -> JSONResponse:
    body = ErrorResponse(error=error, details=details or [])
    return JSONResponse(body.model_dump(), status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BadInput)
    async def bad_input(_: Request, exc: BadInput) -> JSONResponse:
        log.info("rejected input: %s", exc.message)
        return _error(400, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            ErrorDetail(field=".".join(str(p) for p in e["loc"]), problem=e["msg"])
            for e in exc.errors()
        ]
        return _error(400, "invalid request", details)

    @app.exception_handler(BadSignature)
    async def bad_signature(_: Request, exc: BadSignature) -> JSONResponse:
        log.warning("rejected signature: %s", exc)
        return _error(403, str(exc) or "bad signature")

    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(_: Request, exc: NotAuthenticated) -> JSONResponse:
        response = _error(401, str(exc))
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        log.info("forbidden: %s", exc)
        return _error(403, str(exc))

    @app.exception_handler(UnknownSource)
    async def unknown_source(_: Request, exc: UnknownSource) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(TooLarge)
    async def too_large(_: Request, exc: TooLarge) -> JSONResponse:
        return _error(413, str(exc))

    @app.exception_handler(TooManyRequests)
    async def too_many(_: Request, exc: TooManyRequests) -> JSONResponse:
        log.warning("rate limited: %s", exc)
        response = _error(429, str(exc))
        response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
        return response

    @app.exception_handler(ChannelUnavailable)
    async def unavailable(_: Request, exc: ChannelUnavailable) -> JSONResponse:
        response = _error(503, str(exc))
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return _error(500, "internal error")


def http_app(
    services: list[Service],
    runtime_checks: dict[str, Callable[[], Awaitable[str]]],
    auth: Authenticator,
) -> FastAPI:
    app = FastAPI(title="Switchboard", version="0.1.0")
    app.add_middleware(BodyLimit, limit=API_MAX_BODY_BYTES)
    install_error_handlers(app)
    app.include_router(session_router(auth))
    for service in services:
        for router in service.routers:
            app.include_router(router)
    # Channels' webhooks are the hot path: found by their segment, not after every route.
    channels = RouteIndex.of("/channels/", [r for s in services for r in s.routers])
    if channels is not None:
        app.router.routes.insert(0, channels)

    @app.get("/healthz", response_model=Health, tags=["ops"])
    async def healthz() -> JSONResponse:
        checks = {name: await _check(probe) for name, probe in runtime_checks.items()}
        for service in services:
            if service.health is not None:
                checks[service.name] = await _check(service.health)
        ok = all(v.startswith("ok") for v in checks.values())
        health = Health(status="ok" if ok else "degraded", checks=checks)
        return JSONResponse(health.model_dump(), status_code=200 if ok else 503)

    return app


async def _check(probe: Callable[[], Awaitable[str]]) -> str:
    try:
        return await probe()
    except Exception as exc:
        return f"error: {type(exc).__name__}: {exc}"
