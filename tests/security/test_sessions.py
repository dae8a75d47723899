"""Sessions live on the server (issue 16, item 3): signing out ends one everywhere at once —
on another replica too — and closes the person's live event stream."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from switchboard.auth import session_secret
from switchboard.nats_server import NatsServerProcess
from tests.support.stack import Stack, replica


async def test_signing_out_ends_the_session_on_every_replica_and_closes_its_stream(
    stack: Stack, tmp_path: Path, nats_server: NatsServerProcess
) -> None:
    r = await stack.http.post("/api/session", json={"user": "alice", "password": "alice"})
    assert r.status_code == 200, r.text
    bearer = {"Authorization": f"Bearer {r.json()['token']}"}
    async with (
        # ingest keeps no store: a replica of it beside a SQLite stack shares nothing else.
        replica(
            tmp_path / "other",
            nats_server,
            None,
            stack.config,
            ("ingest",),
            session_secret(stack.settings),  # replicas share the key, as compose has them
        ) as other,
        httpx.AsyncClient(base_url=stack.base_url, headers=bearer, timeout=30) as alice,
    ):
        other.headers.update(bearer)
        assert (await other.get("/api/session")).json()["user"] == "alice"

        async def listen() -> float:
            async with alice.stream("GET", "/api/desk/events") as events:
                async for _line in events.aiter_lines():
                    pass
            return time.monotonic()

        stream = asyncio.create_task(listen())
        await asyncio.sleep(0.5)
        assert not stream.done()
        signed_out = time.monotonic()
        assert (await alice.delete("/api/session")).status_code == 204
        assert (await alice.get("/api/session")).status_code == 401
        assert (await other.get("/api/session")).status_code == 401  # the other replica too
        closed = await asyncio.wait_for(stream, timeout=15)
        assert closed - signed_out < 10


async def test_through_an_https_gateway_the_cookie_is_secure_and_host_only(stack: Stack) -> None:
    # The stack trusts forwarded headers from loopback only (SWITCHBOARD_TRUSTED_PROXIES),
    # where this client stands in for the gateway.
    async with httpx.AsyncClient(base_url=stack.base_url) as desk:
        r = await desk.post(
            "/api/session",
            json={"user": "alice", "password": "alice"},
            headers={"X-Forwarded-Proto": "https"},
        )
        assert r.status_code == 200, r.text
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-sb_session=")
        assert "secure" in cookie.lower() and "path=/" in cookie.lower()
        token = r.json()["token"]
        as_cookie = await desk.get("/api/session", cookies={"__Host-sb_session": token})
        assert as_cookie.json()["user"] == "alice"
