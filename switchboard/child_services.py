"""`up --processes 2`: some of `up`'s services in a child process, behind `up`'s address.

One Python process runs on one core at a time (the GIL). A burst or a steady load keeps
`up` at one core while a second sits idle, so the services that record and report what
happened (history, reports, SLA) can run in a child of their own: the same `serve` that
compose runs, against `up`'s nats-server and data directory, on a loopback port that `up`
forwards their paths to. Each service still has one process writing its store, so the
child is its stores' sole writer, as `up` is of the rest (aggregate caches trusted, no
consumer leases).

The child dies with `up` (SIGKILL, as a crash would: exactly-once holds through crashes),
so a restarted `up` never finds an old child still writing; `up` starts a child again when
one dies on its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Match, Route

from schemas.api import ErrorResponse
from switchboard.nats_server import die_with_parent
from switchboard.settings import Settings

log = logging.getLogger(__name__)

# What the child runs: the services whose work follows a contact's routing rather than
# leading to it, and which together carry about half of a contact's CPU (bench.burst
# profiles: history recording and projecting, reports' projection, SLA clocks).
CHILD_SERVICES = ("history", "reports", "sla")
STOP_SECONDS = 15.0  # a graceful stop of the child, before it is killed
RESTART_DELAY_MAX = 30.0
FORWARDED = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

# Not passed on: per connection (RFC 9110, 7.6.1), and who asked, which `up` says itself.
NOT_PASSED_ON = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "x-forwarded-for",
        "x-forwarded-proto",
    }
)


def default_processes() -> int:
    """Two where this process may run on two cores or more: measured on two cores, a burst
    was routed 2-3.5 times as fast and steady rates up to 75/s reached an agent sooner
    (docs/capacity.md, "Two processes for `up`"). On one core a second process only takes
    turns."""
    return 2 if len(os.sched_getaffinity(0)) >= 2 else 1


def split(names: list[str], processes: int) -> tuple[list[str], list[str]]:
    """(`up`'s own services, the child's): none in a child with one process, or when the
    child would get no service or every one."""
    child = [n for n in names if n in CHILD_SERVICES] if processes > 1 else []
    if not child or len(child) == len(names):
        return names, []
    return [n for n in names if n not in child], child


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ChildServices:
    """`switchboard serve NAMES` as `up`'s child: started, started again when it dies,
    stopped with `up`."""

    def __init__(self, settings: Settings, names: list[str], nats_url: str) -> None:
        self.settings = settings
        self.names = names
        self.nats_url = nats_url
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping = False
        # Forwarded requests and health probes share its connections. No pool limit: `up`'s
        # own HTTP server already bounds what arrives at once.
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(60.0, connect=5.0),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=32),
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        s = self.settings
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_NATS_")}
        env.update(
            {
                "SWITCHBOARD_NATS_URL": self.nats_url,
                "SWITCHBOARD_DECLARE_STREAMS": "false",  # `up` declared them before
                "SWITCHBOARD_SOLE_WRITER": "true",
                "SWITCHBOARD_INBOUND_BATCH": str(s.batch()),
                "SWITCHBOARD_BATCH_LINGER_MS": str(s.batch_linger_ms),
                "SWITCHBOARD_BATCH_WINDOW_MS": str(s.batch_window_ms),
                "SWITCHBOARD_LOG_POLL_SECONDS": str(s.log_poll()),
                "SWITCHBOARD_HTTP_HOST": "127.0.0.1",
                "SWITCHBOARD_HTTP_PORT": str(self.port),
                # Only `up`, which forwards people's requests, is believed about them.
                "SWITCHBOARD_TRUSTED_PROXIES": "127.0.0.1",
                "SWITCHBOARD_PUBLIC_URL": s.callback_base(),
                "SWITCHBOARD_LINKS_URL": s.link_base(),
                "SWITCHBOARD_DATA_DIR": str(Path(s.data_dir).resolve()),
                "SWITCHBOARD_CONFIG_FILE": str(Path(s.config_file).resolve()),
            }
        )
        if s.nats_ca_file is not None:
            env["SWITCHBOARD_NATS_CA_FILE"] = str(s.nats_ca_file)
        return env

    def start(self) -> None:
        """Called on the event loop's thread: PR_SET_PDEATHSIG follows the thread that
        started the child, and this one lives as long as `up`."""
        self.port = _free_port()
        # Its log goes where up's does (one terminal, one file), named by its loggers.
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "switchboard.cli", "serve", *self.names],
            env=self.env(),
            # SIGKILL, not SIGTERM: a child stopping gracefully after `up` died could still
            # be writing its stores while a restarted `up` starts the next one.
            preexec_fn=die_with_parent(signal.SIGKILL),
            # Ctrl-C reaches `up` only, which stops the child after its own services.
            start_new_session=True,
        )
        log.info("services %s in process %d", self.names, self._proc.pid)

    async def supervise(self) -> None:
        """Starts the child and starts it again whenever it exits on its own."""
        delay = 1.0
        while not self._stopping:
            self.start()
            began = time.monotonic()
            while self._proc is not None and self._proc.poll() is None:
                await asyncio.sleep(0.5)
            if self._stopping:
                return
            code = self._proc.returncode if self._proc else None
            # A child that ran a while gets a quick restart; one failing at start backs off.
            delay = 1.0 if time.monotonic() - began > 60 else min(delay * 2, RESTART_DELAY_MAX)
            log.error(
                "services %s exited (%s); starting them again in %.0fs", self.names, code, delay
            )
            await asyncio.sleep(delay)

    async def stop(self) -> None:
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            await self._terminate(proc)
        with contextlib.suppress(Exception):
            await self.client.aclose()

    async def _terminate(self, proc: subprocess.Popen[bytes]) -> None:
        proc.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        while proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        if proc.poll() is None:
            log.warning("services %s did not stop in %.0fs; killed", self.names, STOP_SECONDS)
            proc.kill()

    async def health(self) -> str:
        """The child's /healthz, in one line: "ok", or what is wrong with it."""
        if self._proc is None or self._proc.poll() is not None:
            return "starting"
        try:
            r = await self.client.get(f"{self.base_url}/healthz", timeout=5)
        except httpx.TransportError:
            return "starting"  # not listening yet
        checks: Mapping[str, str] = r.json().get("checks", {})
        wrong = [f"{k}: {v}" for k, v in checks.items() if not v.startswith("ok")]
        return "ok" if r.status_code == 200 and not wrong else "; ".join(wrong) or "degraded"


class Forwarder:
    """An ASGI endpoint passing a request on to the child, streamed both ways."""

    def __init__(self, child: ChildServices) -> None:
        self.child = child
        self._own: list[BaseRoute] = []  # up's routes, before the catch-all

    def mount(self, app: FastAPI) -> None:
        """Last among `app`'s routes: whatever no route of `up` serves is the child's (or
        its 404). `app`'s /openapi.json then describes both."""
        self._own = list(app.router.routes)
        app.router.routes.append(Route("/{path:path}", self.forward, methods=FORWARDED))

        async def openapi(request: Request) -> JSONResponse:
            return JSONResponse(await self.openapi(app.openapi()))

        for n, route in enumerate(app.router.routes):
            if isinstance(route, Route) and route.path == app.openapi_url:
                app.router.routes[n] = Route(route.path, openapi, include_in_schema=False)

    def _not_allowed(self, request: Request) -> Response | None:
        """One of up's own paths asked with another method: its 405, as one process
        answers, not the child's 404. Asked only once the child has no answer: walking
        up's routes again costs ~1.5 µs a route on every forwarded request, and no
        path is served by both processes."""
        if any(route.matches(request.scope)[0] is Match.PARTIAL for route in self._own):
            return JSONResponse(
                ErrorResponse(error="Method Not Allowed").model_dump(), status_code=405
            )
        return None

    async def forward(self, request: Request) -> Response:
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in NOT_PASSED_ON]
        # Who asked and how, as `up` established it (behind a gateway it trusts, the
        # gateway's word): the child believes loopback only.
        if request.client is not None:
            headers.append(("x-forwarded-for", request.client.host))
        headers.append(("x-forwarded-proto", request.url.scheme))
        # The path as it came, still percent-encoded: decoded, "%1F" would be a control
        # character no URL may hold, and "%2F" a slash that splits a segment in two.
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string", b"")
        url = httpx.URL(self.child.base_url).copy_with(
            raw_path=raw_path + (b"?" + query if query else b"")
        )
        client = self.child.client
        outgoing = client.build_request(
            request.method,
            url,
            headers=headers,
            content=request.stream(),
        )
        try:
            answer = await client.send(outgoing, stream=True)
        except httpx.TransportError:
            return self._not_allowed(request) or JSONResponse(
                ErrorResponse(
                    error=f"{', '.join(self.child.names)} starting; try again"
                ).model_dump(),
                status_code=503,
                headers={"Retry-After": "2"},
            )
        if answer.status_code == 404 and (refused := self._not_allowed(request)) is not None:
            await answer.aclose()
            return refused
        back = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in NOT_PASSED_ON]

        async def body() -> AsyncIterator[bytes]:
            # Closed however the stream ends (a person leaving mid-download included), so
            # the connection goes back to the pool.
            try:
                async for chunk in answer.aiter_raw():
                    yield chunk
            finally:
                await answer.aclose()

        response = StreamingResponse(body(), status_code=answer.status_code)
        response.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in back]
        return response

    async def openapi(self, own: dict[str, Any]) -> dict[str, Any]:
        """`own` (up's OpenAPI document) with the child's paths and schemas added, so
        /openapi.json and /docs describe everything this address serves."""
        try:
            r = await self.child.client.get(f"{self.child.base_url}/openapi.json")
            child: dict[str, Any] = r.raise_for_status().json()
        except (httpx.HTTPError, ValueError):
            return own  # starting: its paths are missing until it answers
        merged = {**own, "paths": {**child.get("paths", {}), **own.get("paths", {})}}
        components = own.get("components", {})
        theirs = child.get("components", {}).get("schemas", {})
        schemas = {**theirs, **components.get("schemas", {})}
        merged["components"] = {**components, "schemas": schemas}
        return merged
