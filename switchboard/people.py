"""`switchboard people add|password`: real accounts instead of the demo's.

`add` appends a `[[people]]` entry with an argon2 hash to the configuration file (the file
describes who works here: routing, escalation and the desk read it at start). `password`
changes a password for every replica at once, through the credential store on NATS
(switchboard/credentials.py), and so ends the person's sessions; no restart needed.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from pathlib import Path

import nats
from pydantic import ValidationError

from schemas.config import SwitchboardConfig
from switchboard.auth import Authenticator
from switchboard.credentials import KvCredentials
from switchboard.jetstream import nats_servers
from switchboard.nats_connect import connect_options
from switchboard.nats_server import NatsServerProcess
from switchboard.passwords import hash_password
from switchboard.settings import Settings

MIN_LENGTH = 8


class Refused(ValueError):
    """What to tell the operator, in one line."""


def check_new_password(person_id: str, password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise Refused(f"a password needs at least {MIN_LENGTH} characters")
    if password.strip().lower() == person_id.lower():
        raise Refused("the password may not be the person's id (the demo's passwords are)")


def _toml_string(text: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(text, ensure_ascii=False)


def person_entry(fields: dict[str, str | None]) -> str:
    lines = ["", "[[people]]"]
    lines += [f"{key} = {_toml_string(value)}" for key, value in fields.items() if value]
    return "\n".join(lines) + "\n"


def add_person(config_file: Path, fields: dict[str, str | None], password: str) -> None:
    """Appends the person, after checking the whole file still loads with them in it; the
    file is replaced at once (never left half written), keeping its permissions."""
    person_id = fields["id"] or ""
    check_new_password(person_id, password)
    text = config_file.read_text() if config_file.exists() else ""
    current = SwitchboardConfig.model_validate(tomllib.loads(text))
    if any(p.id == person_id for p in current.people):
        raise Refused(f"{person_id} exists already: `switchboard people password` changes it")
    new_text = text + person_entry({**fields, "password_hash": hash_password(password)})
    try:
        SwitchboardConfig.model_validate(tomllib.loads(new_text))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Refused(f"{where}: {first['msg']}") from None
    directory = config_file.resolve().parent
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".switchboard-", suffix=".toml")
    with os.fdopen(fd, "w") as fh:
        fh.write(new_text)
    if config_file.exists():
        os.chmod(tmp, config_file.stat().st_mode & 0o777)
    os.replace(tmp, config_file)


def nats_url(settings: Settings) -> str:
    """SWITCHBOARD_NATS_URL, else the server `switchboard up` runs (its credentials)."""
    if settings.nats_url:
        return settings.nats_url
    credentials = settings.data_dir / "nats-credentials"
    if not credentials.exists():
        raise Refused("no NATS to reach: run `switchboard up` first, or set SWITCHBOARD_NATS_URL")
    server = NatsServerProcess(
        settings.data_dir / "nats", settings.nats_port, credentials=credentials
    )
    return server.url


async def change_password(
    settings: Settings, config: SwitchboardConfig, person_id: str, password: str
) -> None:
    if all(p.id != person_id for p in config.people):
        raise Refused(f"no person {person_id} in {settings.config_file}")
    check_new_password(person_id, password)
    new_hash = hash_password(password)
    try:
        nc = await nats.connect(
            nats_servers(nats_url(settings)),
            allow_reconnect=False,
            connect_timeout=5,
            **connect_options(settings, []),
        )
    except (OSError, nats.errors.Error) as exc:
        raise Refused(f"cannot reach NATS ({exc}): is `switchboard up` running?") from None
    try:
        credentials = KvCredentials(nc.jetstream(), settings.stream_replicas)
        auth = Authenticator(config, "unused: no session is signed here", credentials=credentials)
        await auth.set_password(person_id, new_hash)
    finally:
        await nc.close()
