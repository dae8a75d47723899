"""Each service as its own `switchboard serve` process on shared NATS and PostgreSQL, the way
compose runs them, so any one can be SIGKILLed and restarted while the others go on."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from switchboard.cli import SERVICES
from switchboard.settings import Settings
from tests.support.process import SwitchboardProcess
from tests.support.stack import in_flight, settled


class ServiceProcesses:
    def __init__(
        self,
        workdir: Path,
        config_text: str,
        nats_url: str,
        database_url: str | None,
        smtp_url: str | None = None,
        env: dict[str, str] | None = None,
        names: tuple[str, ...] = SERVICES,
        replicas: dict[str, int] | None = None,
        config_for: Callable[[str], str] | None = None,
    ) -> None:
        """`replicas` runs more than one process of a service (named `routing-2`, ...);
        `config_for(process name)` gives a process its own configuration (e.g. its own
        inbound SMTP port, as replicas on one host cannot share one). Without `database_url`
        every process keeps its SQLite stores in one data directory, as `up` does."""
        self.nats_url = nats_url
        store = (
            {"SWITCHBOARD_DATABASE_URL": database_url}
            if database_url
            else {"SWITCHBOARD_DATA_DIR": str(workdir / "data")}
        )
        self.settings = Settings(
            data_dir=workdir / ("reader" if database_url else "data"), database_url=database_url
        )
        shared = {
            "SWITCHBOARD_NATS_URL": nats_url,
            **store,
            # Sessions signed by one service are checked by another.
            "SWITCHBOARD_SESSION_SECRET": secrets.token_hex(16),
            **(env or {}),
        }
        counts = replicas or {}
        self.procs = {
            key: SwitchboardProcess(
                workdir / key,
                config_for(key) if config_for else config_text,
                smtp_url,
                args=("serve", *name.split(",")),  # a group: "ingest,routing"
                env=shared,
            )
            for name in names
            for key in [name, *(f"{name}-{i}" for i in range(2, counts.get(name, 1) + 1))]
        }

    def url(self, name: str) -> str:
        return self.procs[name].base_url

    async def start(self, *names: str, timeout: float = 60.0) -> None:
        """Starts the named services (default: all) side by side; returns once each is healthy."""
        chosen = names or tuple(self.procs)
        await asyncio.gather(*(self._start(n, timeout=timeout) for n in chosen))

    async def _start(self, name: str, attempts: int = 3, timeout: float = 60.0) -> None:
        """Restarts a process that exits while starting, as compose's restart policy does:
        services creating their tables in one fresh database at the same moment can
        collide in PostgreSQL's catalog ("tuple concurrently updated")."""
        for attempt in range(1, attempts + 1):
            try:
                await asyncio.to_thread(self.procs[name].start, timeout)
                return
            except RuntimeError:
                if attempt == attempts:
                    raise

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown code runs, nothing is flushed or acknowledged on the way out."""
        self.procs[name].kill()

    async def settled(self) -> bool:
        return await settled(self.nats_url, self.settings)

    async def in_flight(self) -> list[str]:
        """What the system has still to do: relays, projections and consumers behind."""
        return await in_flight(self.nats_url, self.settings)

    async def settle(self, timeout: float = 60.0) -> list[str]:
        """What is still in flight after waiting up to `timeout` for the system to come to
        rest (nothing, normally): once every contact has its fate in the stores, relays, the
        timeline projection and consumers still trail them by a moment."""
        deadline = time.monotonic() + timeout
        while (left := await self.in_flight()) and (time.monotonic() < deadline):
            await asyncio.sleep(0.5)
        return left

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.proc is not None and proc.proc.poll() is None:
                proc.proc.kill()
                proc.proc.wait(10)

    def logs(self) -> str:
        return "\n".join(f"--- {n}\n{p.log()}" for n, p in self.procs.items() if p.starts)

    def problems(self, limit: int = 30) -> str:
        """Every start's warnings and errors, per process (the last `limit` lines of each):
        a failure's cause may lie in a run that was killed since, or far above a log's
        tail."""
        found = []
        for name, proc in self.procs.items():
            for start in range(1, proc.starts + 1):
                path = proc.log_of(start)
                lines = path.read_text(errors="replace").splitlines() if path.exists() else []
                bad = [line for line in lines if "WARNING" in line or "ERROR" in line]
                if bad:
                    found.append(f"--- {name} (start {start})\n" + "\n".join(bad[-limit:]))
        return "\n".join(found) or "none"
