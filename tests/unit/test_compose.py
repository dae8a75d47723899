"""compose.yaml and the Dockerfile name only services, commands, ports and settings that exist
in the code, and connect them the way the code expects."""

from __future__ import annotations

import asyncio
import fnmatch
import inspect
import ipaddress
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import ParseResult, urlparse

import pytest
import uvicorn
import yaml
from faststream.nats import NatsBroker

from schemas.config import SwitchboardConfig
from switchboard import cli
from switchboard.auth import Authenticator
from switchboard.http import http_app
from switchboard.jetstream import nats_servers
from switchboard.nats_permissions import (
    ADMIN_USER,
    COMPOSE_CERT_DIR,
    USERS,
    password_variable,
    server_config,
)
from switchboard.runtime import BUILDERS
from switchboard.settings import Settings
from switchboard.store import event_store_env
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "compose.yaml").read_text()
# What an operator sets before `docker compose up` (compose refuses to start without them).
OPERATOR_ENV = {
    "SWITCHBOARD_SESSION_SECRET": "k" * 48,
    "POSTGRES_PASSWORD": "pgpassword0123",
    **{password_variable(user): f"{user}Password0123" for user in USERS},
}
VARIABLE = re.compile(r"\$\{(\w+)(?:(:\?|:-)([^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """compose's own interpolation: ${NAME}, ${NAME:-default}, ${NAME:?error}."""

    def value(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if name in env:
            return env[name]
        if kind == ":-":
            return str(rest)
        raise AssertionError(f"compose refuses to start: {name}: {rest or 'not set'}")

    return VARIABLE.sub(value, text)


COMPOSE: dict[str, Any] = yaml.safe_load(interpolate(COMPOSE_TEXT, OPERATOR_ENV))
SERVICES: dict[str, Any] = COMPOSE["services"]
# Our image running a service; `streams` runs once before them (declares the streams).
OURS = {name: svc for name, svc in SERVICES.items() if svc.get("command", [""])[0] == "serve"}
STREAMS = SERVICES["streams"]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
CADDYFILE = (ROOT / "deploy" / "Caddyfile").read_text()
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def dockerfile_args(keyword: str) -> list[str]:
    """The arguments of every `keyword` instruction, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [
        parts[1] for line in joined.splitlines() if (parts := line.split(None, 1))[:1] == [keyword]
    ]


def image_env() -> dict[str, str]:
    pairs = [item for args in dockerfile_args("ENV") for item in shlex.split(args)]
    return dict(pair.split("=", 1) for pair in pairs)


def published(svc: dict[str, Any]) -> dict[int, int]:
    """Container port -> host port, from the short "host:container" syntax."""
    pairs = (str(p).split(":") for p in svc.get("ports", []))
    return {int(container): int(host) for host, container in pairs}


def mounts(svc: dict[str, Any]) -> dict[str, tuple[Path, str]]:
    """Container path -> (host path, mode) of the bind mounts."""
    result = {}
    for volume in svc.get("volumes", []):
        source, target, *mode = str(volume).split(":")
        if source.startswith("."):
            result[target] = ((ROOT / source).resolve(), mode[0] if mode else "rw")
    return result


def mounted_config(svc: dict[str, Any]) -> SwitchboardConfig:
    source, _ = mounts(svc)[svc["environment"]["SWITCHBOARD_CONFIG_FILE"]]
    return SwitchboardConfig.load(source)


NATS_NODES = {name: svc for name, svc in SERVICES.items() if name.startswith("nats")}


def service_of(svc: dict[str, Any]) -> str:
    """Which Switchboard service a container runs (replicas run the same one)."""
    args = cli.parser().parse_args(svc["command"])
    [name] = args.services
    return str(name)


def flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def listens_on(name: str) -> set[int]:
    """The ports a compose service listens on inside the network, as compose.yaml declares."""
    svc = SERVICES[name]
    env = svc.get("environment", {})
    if name in OURS:
        return {int(env["SWITCHBOARD_HTTP_PORT"])}
    if name in NATS_NODES:
        command = svc["command"]
        cluster = urlparse(flag(command, "--cluster")).port
        return {int(flag(command, "--port")), int(flag(command, "--http_port")), int(cluster or 0)}
    if name == "postgres":
        return {int(env.get("PGPORT", 5432))}
    if name == "mail":
        return {int(env[k].rsplit(":", 1)[1]) for k in ("MP_SMTP_BIND_ADDR", "MP_UI_BIND_ADDR")}
    if name == "gateway":
        return {int(port) for port in re.findall(r"^:(\d+) \{", CADDYFILE, re.M)}
    raise AssertionError(f"compose service {name}: this test does not know its ports")


def opens_event_store(name: str) -> bool:
    """Whether the service's composition root opens an event store (SQLite without a URL)."""
    return "event_store_env(" in inspect.getsource(sys.modules[BUILDERS[name].__module__])


def test_every_service_has_a_container_running_it() -> None:
    assert {service_of(svc) for svc in OURS.values()} == set(BUILDERS) == set(cli.SERVICES)
    for name, svc in OURS.items():
        args = cli.parser().parse_args(svc["command"])
        assert args.run is cli.cmd_serve, name
        # A container is named for its service, replicas with a number after it.
        assert re.fullmatch(rf"{service_of(svc)}(-\d+)?", name), name


def test_every_setting_named_exists() -> None:
    fields = {f.upper() for f in Settings.model_fields}
    for name, svc in OURS.items():
        for var in svc["environment"]:
            assert var.startswith("SWITCHBOARD_"), (name, var)
    # Also those in healthchecks, comments and the image: a typo there is silently ignored.
    text = DOCKERFILE + (ROOT / "compose.yaml").read_text()
    named = set(re.findall(r"\bSWITCHBOARD_[A-Z_]+", text))
    assert named
    for var in named:
        assert var.removeprefix("SWITCHBOARD_") in fields, var


def test_every_service_reaches_nats_and_listens_outside_its_container() -> None:
    for name, svc in OURS.items():
        env = svc["environment"]
        # Every node of the cluster, so a service starts and fails over whichever is down.
        hosts = {urlparse(u).hostname for u in nats_servers(env["SWITCHBOARD_NATS_URL"])}
        assert hosts == set(NATS_NODES), name
        assert env["SWITCHBOARD_HTTP_HOST"] not in LOOPBACK, name
        for node in NATS_NODES:
            assert svc["depends_on"][node]["condition"] == "service_started", name


def test_nats_nodes_form_one_cluster_holding_every_replica() -> None:
    assert len(NATS_NODES) >= 3
    names, route_ports = set(), set()
    for svc in NATS_NODES.values():
        command = svc["command"]
        assert "--jetstream" in command
        assert flag(command, "--cluster_name") == "switchboard"
        names.add(flag(command, "--server_name"))
        route_ports.add(urlparse(flag(command, "--cluster")).port)
        routes = {urlparse(r) for r in flag(command, "--routes").split(",")}
        # Each node dials every node (itself included: nats-server drops that route).
        assert {(r.hostname, r.port) for r in routes} == {
            (node, urlparse(flag(n["command"], "--cluster")).port) for node, n in NATS_NODES.items()
        }
    assert len(names) == len(NATS_NODES)
    for name, svc in OURS.items():
        replicas = Settings(stream_replicas=svc["environment"]["SWITCHBOARD_STREAM_REPLICAS"])
        assert replicas.stream_replicas == len(NATS_NODES), name


def test_every_service_declares_inbound_with_the_same_partitions() -> None:
    # Each service declares the streams as its settings say: they must agree.
    counts = {
        Settings(
            inbound_partitions=svc["environment"]["SWITCHBOARD_INBOUND_PARTITIONS"]
        ).inbound_partitions
        for svc in OURS.values()
    }
    assert len(counts) == 1 and counts.pop() > 1


def test_replicas_share_the_session_key() -> None:
    # A session signed by one container must be accepted by every other one.
    keys = {svc["environment"]["SWITCHBOARD_SESSION_SECRET"] for svc in OURS.values()}
    assert len(keys) == 1


def test_store_services_get_the_database_and_wait_for_it() -> None:
    for name, svc in OURS.items():
        has_url = "SWITCHBOARD_DATABASE_URL" in svc["environment"]
        # Without the URL the store would silently be SQLite inside the container.
        assert has_url == opens_event_store(service_of(svc)), name
        waits = svc["depends_on"].get("postgres", {}).get("condition") == "service_healthy"
        assert waits == opens_event_store(service_of(svc)), name
    assert "healthcheck" in SERVICES["postgres"]


def test_database_url_is_one_the_store_takes() -> None:
    urls = {
        svc["environment"]["SWITCHBOARD_DATABASE_URL"]
        for name, svc in OURS.items()
        if opens_event_store(service_of(svc))
    }
    [url] = urls  # all services share one database
    env = event_store_env(Settings(database_url=url), "routing")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    pg = SERVICES["postgres"]["environment"]
    assert env["POSTGRES_DBNAME"] == pg["POSTGRES_DB"]
    assert env["POSTGRES_USER"] == pg["POSTGRES_USER"]
    assert env["POSTGRES_PASSWORD"] == pg["POSTGRES_PASSWORD"]
    assert env["POSTGRES_HOST"] == "postgres"


def test_urls_reach_a_port_their_host_listens_on() -> None:
    for name, svc in OURS.items():
        for var, value in svc["environment"].items():
            for url in map(urlparse, nats_servers(str(value))):
                check_url_reachable(name, var, url)


def check_url_reachable(name: str, var: str, url: ParseResult) -> None:
    if not url.scheme or url.hostname is None:
        return
    if url.hostname in LOOPBACK:  # addresses people use: ports published on the host
        host_ports = {h for s in SERVICES.values() for h in published(s).values()}
        assert url.port in host_ports, (name, var)
    else:
        assert url.hostname in SERVICES, (name, var)
        assert url.port in listens_on(url.hostname), (name, var)


def test_links_and_callbacks_go_through_the_gateway() -> None:
    # Notifications link to the desk, the console and the API; Twilio calls ingest back.
    [gateway_port] = listens_on("gateway")
    for name, var in (("notifier", "SWITCHBOARD_LINKS_URL"), ("ingest", "SWITCHBOARD_PUBLIC_URL")):
        url = urlparse(OURS[name]["environment"][var])
        assert url.port == published(SERVICES["gateway"])[gateway_port], (name, var)


def gateway_routes() -> list[tuple[list[str], set[str]]]:
    """(path patterns, upstream containers) of each `handle` of the Caddyfile, in order; the
    catch-all `handle` without a matcher comes last with the pattern "*"."""
    matchers = dict(re.findall(r"^\s*@(\w+) path (.+)$", CADDYFILE, re.M))
    routes = []
    for matcher, upstreams in re.findall(
        r"^\s*handle ?(@\w+)? \{\n(?:.*\n)*?\s*reverse_proxy ([^{\n]+)", CADDYFILE, re.M
    ):
        patterns = matchers[matcher[1:]].split() if matcher else ["*"]
        routes.append((patterns, {u.split(":")[0] for u in upstreams.split()}))
    return routes


def gateway_upstreams(path: str) -> set[str]:
    for patterns, upstreams in gateway_routes():
        if any(fnmatch.fnmatchcase(path, p) for p in patterns):
            return upstreams
    raise AssertionError(f"the gateway sends {path} nowhere")


def test_the_gateway_sends_every_route_to_the_containers_serving_it(tmp_path: Path) -> None:
    config = mounted_config(OURS["routing"])
    settings = Settings(data_dir=tmp_path)
    auth = Authenticator(config, "key")
    by_service: dict[str, set[str]] = {}

    async def build_all() -> None:
        # Built as in a container, without connecting; in a running event loop, as the
        # runtime builds them (the async HTTP clients of the Twilio senders need one).
        for name, build in BUILDERS.items():
            service = build(settings, config, NatsBroker(), None, auth)  # type: ignore[arg-type]
            paths = {r.path for router in service.routers for r in router.routes}  # type: ignore[attr-defined]
            by_service[name] = {re.sub(r"\{\w+\}", "x", p) for p in paths}
            if service.close:
                service.close()

    asyncio.run(build_all())
    assert "/channels/webform/x" in by_service["ingest"] and "/desk" in by_service["notifier"]
    for name, paths in by_service.items():
        containers = {c for c, svc in OURS.items() if service_of(svc) == name}
        for path in paths:
            assert gateway_upstreams(path) == containers, (path, name)
    for shared in ("/api/session", "/healthz", "/docs"):  # every service serves these
        assert gateway_upstreams(shared) <= set(OURS)
    for container in gateway_routes()[-1][1] | {u for _, us in gateway_routes() for u in us}:
        assert container in OURS


def test_published_ports_are_ones_served_from_outside_the_container() -> None:
    host_ports = [h for s in SERVICES.values() for h in published(s).values()]
    assert len(host_ports) == len(set(host_ports))
    for name, svc in OURS.items():
        http_port = int(svc["environment"]["SWITCHBOARD_HTTP_PORT"])
        assert published(svc).get(http_port) == http_port, name
        reachable = {http_port}
        email = mounted_config(svc).channels.email
        host = svc["environment"].get("SWITCHBOARD_SMTP_LISTEN_HOST", email.host)
        if service_of(svc) == "ingest" and email.enabled and host not in LOOPBACK:
            reachable.add(email.port)
        assert set(published(svc)) <= reachable, name


def test_config_file_is_mounted_where_the_setting_points() -> None:
    for name, svc in OURS.items():
        target = svc["environment"]["SWITCHBOARD_CONFIG_FILE"]
        source, mode = mounts(svc)[target]
        assert source.is_file() and mode == "ro", name
        mounted_config(svc)  # and it is a valid configuration
        # Without compose the image falls back to its own copy at the same place.
        assert image_env()["SWITCHBOARD_CONFIG_FILE"] == target


def dockerfiles_in_repo() -> list[Path]:
    found = []
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in {"data", "node_modules"}]
        found += [Path(top) / f for f in files if re.fullmatch(r"(.+\.)?Dockerfile(\..+)?", f)]
    return found


def test_every_container_builds_the_one_dockerfile() -> None:
    assert dockerfiles_in_repo() == [ROOT / "Dockerfile"]
    for name, svc in OURS.items():
        build = svc["build"] if isinstance(svc["build"], dict) else {"context": svc["build"]}
        dockerfile = ROOT / build["context"] / build.get("dockerfile", "Dockerfile")
        assert dockerfile.resolve() == ROOT / "Dockerfile", name


def test_image_runs_the_declared_console_script() -> None:
    scripts = PYPROJECT["project"]["scripts"]
    [entrypoint] = dockerfile_args("ENTRYPOINT")
    [script] = json.loads(entrypoint)
    assert scripts[script] == f"{cli.main.__module__}:{cli.main.__name__}"


def test_image_installs_every_package_and_the_config() -> None:
    includes = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in includes}
    copied = {args.split()[0] for args in dockerfile_args("COPY")}
    assert packages <= copied
    assert all((ROOT / package / "__init__.py").is_file() for package in packages)
    assert {"pyproject.toml", "switchboard.toml"} <= copied
    assert "pip install ." in dockerfile_args("RUN")[0]
    assert dockerfile_args("USER")[-1] not in {"root", "0"}
    assert dockerfile_args("EXPOSE") == [image_env()["SWITCHBOARD_HTTP_PORT"]]


@contextmanager
def serving_health(checks: dict[str, str]) -> Iterator[int]:
    """The real HTTP app on a loopback port, its /healthz reporting `checks`."""

    def probe(name: str) -> Any:
        async def check() -> str:
            return checks[name]

        return check

    app = http_app(
        [], {name: probe(name) for name in checks}, Authenticator(SwitchboardConfig(), "secret")
    )
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def run_healthcheck(test: list[str], port: int) -> int:
    assert test[0] == "CMD" and test[1] == "python"
    env = {**os.environ, "SWITCHBOARD_HTTP_PORT": str(port)}
    done = subprocess.run([sys.executable, *test[2:]], env=env, capture_output=True, timeout=30)
    return done.returncode


def test_healthcheck_passes_exactly_when_healthz_says_ok() -> None:
    tests = {tuple(svc["healthcheck"]["test"]) for svc in OURS.values()}
    checks = {"nats": "ok"}
    with serving_health(checks) as port:
        for test in tests:
            assert run_healthcheck(list(test), port) == 0
            checks["nats"] = "disconnected"
            assert run_healthcheck(list(test), port) != 0
            checks["nats"] = "ok"


def test_serve_needs_a_nats_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SWITCHBOARD_NATS_URL", raising=False)
    assert cli.main(["serve", "ingest"]) == 2
    assert "SWITCHBOARD_NATS_URL" in capsys.readouterr().err


def test_secrets_have_no_default_and_compose_refuses_to_start_without_them() -> None:
    # Every secret compose passes comes from the operator: no known value to fall back on.
    for name in OPERATOR_ENV:
        assert re.search(r"\$\{" + name + r":\?", COMPOSE_TEXT), name
        with pytest.raises(AssertionError, match=name):
            interpolate(COMPOSE_TEXT, {k: v for k, v in OPERATOR_ENV.items() if k != name})
    literal = re.compile(r"^\s*\w*(SECRET|PASSWORD|TOKEN)\w*:\s+(?!\$\{)\S", re.I | re.M)
    assert not literal.findall(COMPOSE_TEXT), "a secret written into compose.yaml"


def test_nats_postgres_and_the_mail_ui_are_not_published() -> None:
    # None of them asks who is calling: reachable from outside, anyone could publish inbound
    # messages past every signature check, read the store, or read every mail sent.
    for name in [*NATS_NODES, "postgres", "mail"]:
        assert not SERVICES[name].get("ports"), name


def test_only_the_gateway_is_a_trusted_proxy() -> None:
    gateway = SERVICES["gateway"]["networks"]["default"]["ipv4_address"]
    subnet = COMPOSE["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(gateway) in ipaddress.ip_network(subnet)
    for name, svc in OURS.items():
        assert svc["environment"]["SWITCHBOARD_TRUSTED_PROXIES"] == gateway, name


def nats_logins(svc: dict[str, Any]) -> set[tuple[str, str | None, str | None]]:
    """(scheme, user, password) of each server in the container's SWITCHBOARD_NATS_URL."""
    urls = map(urlparse, nats_servers(svc["environment"]["SWITCHBOARD_NATS_URL"]))
    return {(u.scheme, u.username, u.password) for u in urls}


def test_each_service_connects_as_its_own_nats_user_over_tls() -> None:
    # Its user may use only its own subjects (switchboard/nats_permissions.py), so a
    # service taken over cannot publish another's events or read their messages.
    for name, svc in OURS.items():
        user = service_of(svc)
        password = OPERATOR_ENV[password_variable(user)]
        assert nats_logins(svc) == {("tls", user, password)}, name
        assert svc["environment"]["SWITCHBOARD_DECLARE_STREAMS"] == "false", name
        ca = svc["environment"]["SWITCHBOARD_NATS_CA_FILE"]
        source, mode = mounts(svc)[ca]
        assert source == ROOT / "deploy" / "nats" / "certs" / "ca.pem" and mode == "ro", name
        # Never a node's key: only the CA's certificate.
        assert not any("key" in str(path) for path, _ in mounts(svc).values()), name
    for node in NATS_NODES.values():
        env = node["environment"]
        assert {v for k, v in env.items() if k.endswith("_PASSWORD")} == {
            OPERATOR_ENV[password_variable(user)] for user in USERS
        }


def test_streams_are_declared_by_the_admin_before_any_service_starts() -> None:
    args = cli.parser().parse_args(STREAMS["command"])
    assert args.run is cli.cmd_streams
    password = OPERATOR_ENV[password_variable(ADMIN_USER)]
    assert nats_logins(STREAMS) == {("tls", ADMIN_USER, password)}
    for var in ("SWITCHBOARD_STREAM_REPLICAS", "SWITCHBOARD_INBOUND_PARTITIONS"):
        assert {svc["environment"][var] for svc in OURS.values()} == {STREAMS["environment"][var]}
    for name, svc in OURS.items():
        assert svc["depends_on"]["streams"]["condition"] == "service_completed_successfully", name


def test_nats_nodes_use_the_generated_users_tls_and_verified_routes() -> None:
    partitions = Settings(
        inbound_partitions=STREAMS["environment"]["SWITCHBOARD_INBOUND_PARTITIONS"]
    ).inbound_partitions
    for name, node in NATS_NODES.items():
        command = node["command"]
        conf = flag(command, "-c")
        source, mode = mounts(node)[conf]
        # The committed file is what the code generates: `switchboard nats-config`.
        assert source.read_text() == server_config(partitions), name
        assert mounts(node)[COMPOSE_CERT_DIR] == (ROOT / "deploy" / "nats" / "certs", "ro")
        assert mode == "ro"
    text = server_config(partitions)
    assert "verify: true" in text.split("cluster {", 1)[1]  # routes: mutual TLS
    assert text.startswith("#") and "\ntls {" in text  # clients: TLS only
