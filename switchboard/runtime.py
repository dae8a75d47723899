"""Runs services in this process against one NATS and one event store."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import nats
import uvicorn
from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from services.history.app import build_history
from services.ingest.app import build_ingest
from services.notifier.app import build_notifier
from services.routing.app import build_routing
from switchboard.http import http_app
from switchboard.jetstream import ensure_streams
from switchboard.nats_server import NatsServerProcess
from switchboard.service import Service
from switchboard.settings import Settings

log = logging.getLogger(__name__)

Builder = Callable[[Settings, SwitchboardConfig, NatsBroker, JetStreamContext], Service]
BUILDERS: dict[str, Builder] = {
    "ingest": build_ingest,
    "routing": build_routing,
    "history": build_history,
    "notifier": build_notifier,
}


async def serve(settings: Settings, config: SwitchboardConfig, names: list[str], url: str) -> None:
    nc = await nats.connect(url, name="switchboard", max_reconnect_attempts=-1)
    js = nc.jetstream()
    await ensure_streams(js, settings.inbound_dedupe_window_seconds)
    broker = NatsBroker(url, max_reconnect_attempts=-1)
    services = [BUILDERS[name](settings, config, broker, js) for name in names]

    async def nats_ok() -> str:
        return "ok" if nc.is_connected else "disconnected"

    app = http_app(services, nats_ok)
    await broker.start()
    loops = [asyncio.create_task(loop()) for s in services for loop in s.loops]
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=settings.http_host, port=settings.http_port, log_level="info", lifespan="off"
        )
    )
    log.info("services %s on http://%s:%d", names, settings.http_host, settings.http_port)
    try:
        await server.serve()
    finally:
        for task in loops:
            task.cancel()
        for task in loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await broker.stop()
        await nc.close()
        for s in services:
            if s.close:
                s.close()


def up(settings: Settings, config: SwitchboardConfig, names: list[str]) -> None:
    """Everything in one process; a child nats-server unless SWITCHBOARD_NATS_URL is set."""
    server: NatsServerProcess | None = None
    url = settings.nats_url
    if url is None:
        server = NatsServerProcess(settings.data_dir / "nats", settings.nats_port)
        server.start()
        url = server.url
    try:
        asyncio.run(serve(settings, config, names, url))
    finally:
        if server:
            server.stop()
