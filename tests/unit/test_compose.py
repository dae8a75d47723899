"""compose.yaml names only services, commands, ports and settings that exist in the code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from switchboard.cli import SERVICES
from switchboard.runtime import BUILDERS
from switchboard.settings import Settings
from switchboard.store import event_store_env

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
OURS = {name: svc for name, svc in COMPOSE["services"].items() if "build" in svc}


def test_every_service_has_a_container_running_it() -> None:
    assert set(OURS) == set(BUILDERS) == set(SERVICES)
    for name, svc in OURS.items():
        assert svc["command"] == ["serve", name]


def test_every_setting_named_exists() -> None:
    fields = {f.upper() for f in Settings.model_fields}
    for name, svc in OURS.items():
        for var in svc["environment"]:
            assert var.startswith("SWITCHBOARD_"), (name, var)
            assert var.removeprefix("SWITCHBOARD_") in fields, (name, var)
        # serve refuses to start without NATS; the store would silently be SQLite without this.
        assert {"SWITCHBOARD_NATS_URL", "SWITCHBOARD_DATABASE_URL"} <= set(svc["environment"])


def test_published_port_is_the_port_served() -> None:
    for name, svc in OURS.items():
        port = svc["environment"]["SWITCHBOARD_HTTP_PORT"]
        assert f"{port}:{port}" in svc["ports"], name


def test_database_url_is_one_the_store_takes() -> None:
    urls = {svc["environment"]["SWITCHBOARD_DATABASE_URL"] for svc in OURS.values()}
    [url] = urls  # all services share one database
    env = event_store_env(Settings(database_url=url), "routing")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    pg = COMPOSE["services"]["postgres"]["environment"]
    assert env["POSTGRES_DBNAME"] == pg["POSTGRES_DB"]
    assert env["POSTGRES_USER"] == pg["POSTGRES_USER"]
    assert env["POSTGRES_PASSWORD"] == pg["POSTGRES_PASSWORD"]
    assert env["POSTGRES_HOST"] in COMPOSE["services"]


def test_hosts_named_in_urls_are_services() -> None:
    for svc in OURS.values():
        for var, value in svc["environment"].items():
            match = re.match(r"^[a-z]+://(?:[^@/]*@)?([a-z0-9-]+):\d+", str(value))
            if match and match.group(1) != "localhost":
                assert match.group(1) in COMPOSE["services"], var


def test_config_file_is_mounted_where_the_setting_points() -> None:
    for svc in OURS.values():
        target = svc["environment"]["SWITCHBOARD_CONFIG_FILE"]
        assert any(v.split(":")[1] == target for v in svc["volumes"])
        assert any((ROOT / v.split(":")[0]).resolve().exists() for v in svc["volumes"])


def test_image_runs_the_declared_console_script() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert 'ENTRYPOINT ["switchboard"]' in dockerfile and "switchboard" in scripts
    for svc in OURS.values():
        assert svc["build"] == "."
    # every package the project installs is copied into the image
    packages = ["events", "schemas", "services", "switchboard"]
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile


def test_serve_needs_a_nats_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from switchboard.cli import main

    monkeypatch.delenv("SWITCHBOARD_NATS_URL", raising=False)
    assert main(["serve", "ingest"]) == 2
