"""compose's NATS as it runs there, on three real nats-server nodes: the configuration
`switchboard nats-config` generates, certificates from deploy/make-certs.sh. Clients get in
only over TLS with a user's password; routes between nodes need a certificate our CA signed,
so a node with another CA's certificate does not join the cluster."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from switchboard.jetstream import INBOUND
from switchboard.nats_connect import connect_options, declare
from switchboard.nats_permissions import USERS, server_config
from switchboard.nats_server import ClusterRole, NatsServerProcess
from switchboard.settings import Settings
from tests.support.ports import free_port
from tests.support.stack import stack_config
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {user: f"{user}Password0123456789" for user in USERS}
PARTITIONS = Settings().inbound_partitions


def make_certs(directory: Path) -> Path:
    subprocess.run([str(ROOT / "deploy" / "make-certs.sh"), str(directory)], check=True)
    return directory


def nodes(base: Path, certs: Path, count: int, route_ports: list[int]) -> list[NatsServerProcess]:
    """Nodes dialling every port in `route_ports` (their own first `count` of them)."""
    text = server_config(PARTITIONS, str(certs), PASSWORDS)
    return [
        NatsServerProcess(
            base / f"n{i}",
            free_port(),
            cluster=ClusterRole(
                "switchboard",
                f"{base.name}{i}",
                route_ports[i],
                tuple(p for j, p in enumerate(route_ports) if j != i),
            ),
            config_text=text,
        )
        for i in range(count)
    ]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[list[NatsServerProcess], Path]]:
    certs = make_certs(tmp_path / "certs")
    servers = nodes(tmp_path / "good", certs, 3, [free_port() for _ in range(3)])
    for server in servers:
        server.start()
    try:
        yield servers, certs
    finally:
        for server in servers:
            server.stop()


def url(servers: list[NatsServerProcess], user: str, scheme: str = "tls") -> str:
    return ",".join(f"{scheme}://{user}:{PASSWORDS[user]}@127.0.0.1:{s.port}" for s in servers)


async def test_clients_need_tls_and_a_password_and_routes_need_our_ca(
    tmp_path: Path, cluster: tuple[list[NatsServerProcess], Path]
) -> None:
    servers, certs = cluster
    settings = Settings(nats_ca_file=certs / "ca.pem", stream_replicas=3)

    async def declared() -> bool:
        try:
            await declare(settings, stack_config(), url(servers, "admin"))
        except Exception:
            return False  # JetStream has no leader until the routes are up
        return True

    await eventually(declared, timeout=60, interval=0.5)
    # Replicated on all three nodes: the routes carry JetStream, over mutual TLS.
    options = connect_options(settings, ["ingest"])
    ingest = await nats.connect(url(servers[1:2], "ingest").split(","), **options)
    try:
        ack = await ingest.jetstream().publish("sb.inbound.k.web", b"{}", stream=INBOUND)
        assert ack.seq == 1
    finally:
        await ingest.close()
    admin = await nats.connect(url(servers[2:], "admin").split(","), **options)
    try:
        info = await admin.jetstream().stream_info(INBOUND)
        assert info.state.messages == 1
        assert info.cluster is not None and len(info.cluster.replicas or []) == 2
    finally:
        await admin.close()

    # No password, a wrong one, or no TLS (a client that cannot check our CA): refused.
    for bad, kwargs in (
        (f"tls://127.0.0.1:{servers[0].port}", options),
        (f"tls://ingest:wrong@127.0.0.1:{servers[0].port}", options),
        (url(servers[:1], "ingest", "nats"), {}),
    ):
        with pytest.raises(Exception):  # noqa: B017 - auth or TLS error, by case
            await nats.connect(bad, allow_reconnect=False, connect_timeout=3, **kwargs)

    # A node whose certificate another CA signed dials every node's route port in vain.
    rogue_certs = make_certs(tmp_path / "rogue-certs")
    good_routes = [s.cluster.route_port for s in servers if s.cluster]
    [rogue] = nodes(tmp_path / "rogue", rogue_certs, 1, [free_port(), *good_routes])
    rogue.start()
    try:
        log = rogue.store_dir / "nats-server.log"
        refused = "TLS route handshake error: tls: failed to verify certificate"
        await eventually(lambda: _async(log.read_text().count(refused) >= 3), timeout=30)
        assert "Route connection created" not in log.read_text()
    finally:
        rogue.stop()


async def _async(value: bool) -> bool:
    return value
