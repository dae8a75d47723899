"""Runs services in this process against one NATS and one event store."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator

import nats
import uvicorn
from fastapi import FastAPI
from faststream.nats import NatsBroker
from nats.aio.client import Client
from nats.js import JetStreamContext

from schemas.config import SwitchboardConfig
from services.history.app import build_history
from services.ingest.app import build_ingest
from services.notifier.app import build_notifier
from services.reports.app import build_reports
from services.routing.app import build_routing
from services.sla.app import build_sla
from switchboard import tracing
from switchboard.auth import Authenticator
from switchboard.child_services import ChildServices, Forwarder, split
from switchboard.credentials import KvCredentials
from switchboard.http import http_app
from switchboard.http_server import run_event_loop, server_config, tune_garbage_collector
from switchboard.inbound_batches import BATCH
from switchboard.jetstream import nats_servers
from switchboard.nats_connect import connect_options, declare_streams
from switchboard.nats_server import NatsServerProcess
from switchboard.service import Service
from switchboard.sessions import KvSessions
from switchboard.settings import Settings
from switchboard.store import schema_lock

log = logging.getLogger(__name__)

UP_LOG_POLL = 1.0  # seconds

Builder = Callable[
    [Settings, SwitchboardConfig, NatsBroker, JetStreamContext, Authenticator], Service
]
BUILDERS: dict[str, Builder] = {
    "ingest": build_ingest,
    "routing": build_routing,
    "history": build_history,
    "notifier": build_notifier,
    "sla": build_sla,
    "reports": build_reports,
}


class _Server(uvicorn.Server):
    """Uvicorn without its own signal handling: it would re-raise SIGTERM when it is done
    serving, killing the process before the broker, relays and stores are stopped."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Runtime:
    """Some or all services sharing one NATS connection, one broker and one HTTP port."""

    def __init__(
        self,
        settings: Settings,
        config: SwitchboardConfig,
        names: list[str],
        nats_url: str,
        child: ChildServices | None = None,
    ) -> None:
        """`child`: services in a child process whose paths this one forwards to it."""
        self.settings = settings
        self.child = child
        self.config = config
        self.names = names
        self.nats_url = nats_url
        self.services: list[Service] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.dead_loops: list[str] = []
        self._nc: Client | None = None
        self._broker: NatsBroker | None = None
        self._server: uvicorn.Server | None = None
        self.app: FastAPI | None = None
        self._traced = False

    async def start(self) -> None:
        servers = nats_servers(self.nats_url)
        options = connect_options(self.settings, self.names)
        self._nc = nc = await nats.connect(
            servers, name="switchboard", max_reconnect_attempts=-1, **options
        )
        js = nc.jetstream()
        if self.settings.declare_streams:
            await declare_streams(js, self.settings, self.config)
        self._traced = tracing.configure(f"switchboard:{','.join(self.names)}")
        self._broker = broker = NatsBroker(
            servers,
            max_reconnect_attempts=-1,
            middlewares=tracing.broker_middlewares(),
            # Its "Received"/"Processed" lines per message at DEBUG: at INFO they were two
            # log lines per consumer per event, a few percent of `up`'s CPU in a burst.
            log_level=logging.DEBUG,
            **options,
        )
        sessions = KvSessions(
            js, self.config.auth.session_hours * 3600, self.settings.stream_replicas
        )
        credentials = KvCredentials(js, self.settings.stream_replicas)
        auth = Authenticator.from_settings(self.settings, self.config, sessions, credentials)
        with schema_lock(self.settings):
            self.services = [
                BUILDERS[name](self.settings, self.config, broker, js, auth) for name in self.names
            ]

        async def nats_ok() -> str:
            return "ok" if nc.is_connected else "disconnected"

        async def loops_ok() -> str:
            return "ok" if not self.dead_loops else "; ".join(self.dead_loops)

        checks: dict[str, Callable[[], Awaitable[str]]] = {"nats": nats_ok, "loops": loops_ok}
        if self.child is not None:
            checks[",".join(self.child.names)] = self.child.health
        self.app = app = http_app(self.services, checks, auth)
        if self.child is not None:
            Forwarder(self.child).mount(app)
        if tracing.enabled():
            app.add_middleware(tracing.TraceRequests)
        await broker.start()
        self._tasks = []
        for s in self.services:
            for loop in s.loops:
                task = asyncio.create_task(loop(), name=f"{s.name}:{loop}")
                task.add_done_callback(self._loop_ended)
                self._tasks.append(task)
        if self.child is not None:
            self._tasks.append(asyncio.create_task(self.child.supervise(), name="child"))
        self._server = _Server(
            server_config(
                app,
                self.settings.http_host,
                self.settings.http_port,
                # X-Forwarded-Proto (and the client's address) only from the gateway.
                forwarded_allow_ips=self.settings.trusted_proxies,
                timeout_graceful_shutdown=5,
            )
        )
        self._tasks.append(asyncio.create_task(self._server.serve()))
        while not self._server.started:
            if self._tasks[-1].done():
                self._tasks[-1].result()  # raises why the server could not start
            await asyncio.sleep(0.02)
        log.info(
            "services %s on http://%s:%d",
            self.names,
            self.settings.http_host,
            self.settings.http_port,
        )

    def _loop_ended(self, task: asyncio.Task[None]) -> None:
        # Loops retry inside; one that ends anyway (e.g. its port is taken) must be seen.
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("loop %s died: %r", task.get_name(), error)
            self.dead_loops.append(f"{task.get_name().split(':')[0]}: {error!r}")

    def request_stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True

    async def wait(self) -> None:
        """Until the HTTP server exits (SIGINT/SIGTERM)."""
        if self._tasks:
            await self._tasks[-1]

    async def stop(self) -> None:
        """Each step is bounded: a stop must finish even when NATS is unreachable."""
        if self._server is not None:
            self._server.should_exit = True
        if self.child is not None:
            await _bounded(self.child.stop(), f"services {self.child.names}", 20.0)
        for task in self._tasks:
            if task is not self._tasks[-1]:
                task.cancel()
        for task in self._tasks:
            await _bounded(task, f"task {task.get_name()}")
        if self._broker is not None:
            await _bounded(self._broker.stop(), "broker")
        if self._nc is not None:
            await _bounded(self._nc.close(), "nats connection")
        for s in self.services:
            if s.aclose:
                await _bounded(s.aclose(), f"{s.name} resources")
            if s.close:
                s.close()
        if self._traced:
            self._traced = False
            tracing.shutdown()


async def _bounded(step: Awaitable[object], what: str, timeout: float = 10.0) -> None:
    """Waits at most `timeout` for a step of stopping. Unlike wait_for, never waits on: a
    task that ignores its cancellation is left behind rather than holding the stop."""
    task = asyncio.ensure_future(step)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    done: set[asyncio.Future[object]] = set()
    while not done and loop.time() < deadline:
        done, _ = await asyncio.wait({task}, timeout=min(0.5, deadline - loop.time()))
        if not done and task.cancelling():
            task.cancel()  # swallowed by a library's wait_for (Python < 3.12): ask again
    if not done:
        log.warning("stopping %s: gave up after %.0fs", what, timeout)
    elif not task.cancelled() and task.exception() is not None:
        log.warning("stopping %s: %s", what, task.exception())


async def serve(
    settings: Settings,
    config: SwitchboardConfig,
    names: list[str],
    nats_url: str,
    child_names: list[str] | None = None,
) -> None:
    """`child_names`: run in a child process of this one, behind its address."""
    if settings.inbound_batch is None:  # each consumer read by the replica holding its lease
        settings = settings.model_copy(update={"inbound_batch": BATCH})
    child = ChildServices(settings, child_names, nats_url) if child_names else None
    runtime = Runtime(settings, config, names, nats_url, child)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, runtime.request_stop)
    await runtime.start()
    # Here, not in start(): tests run runtimes inside pytest, whose heap must stay collectable.
    tune_garbage_collector()
    try:
        await runtime.wait()
    finally:
        await runtime.stop()


def up(settings: Settings, config: SwitchboardConfig, names: list[str], processes: int = 1) -> None:
    """Everything in one process (or `processes` = 2: switchboard/child_services.py); a
    child nats-server unless SWITCHBOARD_NATS_URL is set."""
    server: NatsServerProcess | None = None
    url = settings.nats_url
    if settings.inbound_batch is None:  # one process reads every consumer: batches, no leases
        settings = settings.model_copy(update={"inbound_batch": BATCH})
    if settings.log_poll_seconds is None:  # every commit wakes its followers: poll seldom
        settings = settings.model_copy(update={"log_poll_seconds": UP_LOG_POLL})
    settings = settings.model_copy(update={"sole_writer": True})
    if url is None:
        # Its own generated credentials: nothing else on this machine may connect and
        # publish past the channels' signature checks.
        server = NatsServerProcess(
            settings.data_dir / "nats",
            settings.nats_port,
            credentials=settings.data_dir / "nats-credentials",
            monitor_port=settings.nats_monitor_port,
        )
        server.start()
        url = server.url
    try:
        own, child = split(names, processes)
        run_event_loop(serve(settings, config, own, url, child))
    finally:
        if server:
            server.stop()
