"""`switchboard up` (or `serve SERVICE`) as a real child process, the way people run it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from switchboard.nats_server import port_open
from tests.support.ports import free_port


class SwitchboardProcess:
    """`switchboard up` by default; `args=["serve", name]` with `env` naming NATS (and the
    database) runs one service the way a container does."""

    def __init__(
        self,
        workdir: Path,
        config_text: str,
        smtp_url: str | None,
        args: tuple[str, ...] = ("up",),
        env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.args = args
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "switchboard.toml").write_text(config_text)
        self.http_port = free_port()
        self.nats_port = free_port()
        self.env = {
            **os.environ,
            "SWITCHBOARD_HTTP_PORT": str(self.http_port),
            "SWITCHBOARD_NATS_PORT": str(self.nats_port),
            "SWITCHBOARD_DATA_DIR": str(workdir / "data"),
            "SWITCHBOARD_CONFIG_FILE": str(workdir / "switchboard.toml"),
        }
        self.env.pop("SWITCHBOARD_NATS_URL", None)
        self.env.pop("SWITCHBOARD_DATABASE_URL", None)
        if smtp_url:
            self.env["SWITCHBOARD_SMTP_URL"] = smtp_url
        self.env.update(env or {})
        self.base_url = f"http://127.0.0.1:{self.http_port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def nats_url(self) -> str:
        """`up`'s child nats-server, with the credentials `up` generated for it."""
        user, password = (self.workdir / "data" / "nats-credentials").read_text().split()
        return f"nats://{user}:{password}@127.0.0.1:{self.nats_port}"

    def start(self, timeout: float = 30.0) -> None:
        self.starts += 1
        log = self.log_path.open("wb")
        exe = Path(sys.executable).parent / "switchboard"
        self.proc = subprocess.Popen(
            [str(exe), *self.args],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"switchboard {self.args[0]} exited: {self.log()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"switchboard {self.args[0]} not healthy: {self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs. Its nats-server must go with it."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        deadline = time.monotonic() + 10
        while port_open("127.0.0.1", self.nats_port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)

    @property
    def log_path(self) -> Path:
        return self.log_of(self.starts)

    def log_of(self, start: int) -> Path:
        """The log of the `start`th start (from 1): each start writes its own."""
        return self.workdir / f"{'-'.join(self.args)}-{start}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def children(pid: int) -> list[int]:
    """A process's children (`up`'s nats-server and services child), from each of its
    threads' lists."""
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


def services_children(pid: int) -> list[int]:
    """`up --processes 2`'s child running services (switchboard/child_services.py)."""
    return [
        c for c in children(pid) if b"switchboard.cli" in Path(f"/proc/{c}/cmdline").read_bytes()
    ]
