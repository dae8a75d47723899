"""Passwords (issue 16, items 1, 3, 4): argon2 through pwdlib; the PBKDF2 hashes from before
still verify and are rehashed on sign-in into the credential store every replica shares
(a JetStream bucket, on a real nats-server here); `switchboard people add|password` make
real accounts; a new password or another role ends the person's sessions."""

from __future__ import annotations

import asyncio
import threading
import tomllib
from pathlib import Path

import nats
import pytest

from schemas.config import Person, Role, SwitchboardConfig
from switchboard import cli
from switchboard.auth import Authenticator
from switchboard.credentials import CREDENTIALS_BUCKET, KvCredentials, MemoryCredentials
from switchboard.nats_server import NatsServerProcess
from switchboard.passwords import hash_password, verify_and_update
from switchboard.sessions import MemorySessions
from tests.support.auth import CHEAP_ARGON2

OLD = hash_password("pw-alice", iterations=1000)  # PBKDF2, as `switchboard password` made


def config(role: Role = "agent", password_hash: str = OLD) -> SwitchboardConfig:
    return SwitchboardConfig(
        people=[
            Person(id="sam", name="Sam", role="supervisor", password_hash=CHEAP_ARGON2.hash("s")),
            Person(id="alice", name="A", role=role, supervisor="sam", password_hash=password_hash),
        ]
    )


def test_new_hashes_are_argon2_and_old_pbkdf2_ones_verify_then_upgrade() -> None:
    new = hash_password("correct horse")
    assert new.startswith("$argon2id$")
    Person(id="x", name="X", password_hash=new)  # the file takes it
    assert verify_and_update("correct horse", new) == (True, None)
    assert verify_and_update("correct horsE", new) == (False, None)
    ok, upgraded = verify_and_update("pw-alice", OLD)
    assert ok and upgraded is not None and upgraded.startswith("$argon2id$")
    assert verify_and_update("nope", OLD) == (False, None)
    assert verify_and_update("x", "plain-text-is-not-a-hash") == (False, None)


async def test_sign_in_rehashes_and_keeps_sessions_a_new_password_ends_them() -> None:
    sessions, credentials = MemorySessions(), MemoryCredentials()
    auth = Authenticator(config(), "k", sessions, credentials=credentials)
    first = await auth.sign_in("alice", "pw-alice")
    assert first is not None
    stored = credentials.entries["alice"]
    assert stored.hash.startswith("$argon2id$")  # rehashed on sign-in
    # The rehash is the same password: the session opened with it carries on.
    assert await auth.principal_for(first) is not None
    second = await auth.sign_in("alice", "pw-alice")  # now checked against the argon2 hash
    assert second is not None and credentials.entries["alice"] == stored

    await auth.set_password("alice", hash_password("a-new-secret"))
    assert await auth.principal_for(first) is None and await auth.principal_for(second) is None
    assert await auth.sign_in("alice", "pw-alice") is None
    assert await auth.sign_in("alice", "a-new-secret") is not None

    # The operator edits the file afterwards: the file wins over what was stored before.
    edited = config(password_hash=CHEAP_ARGON2.hash("from-the-file"))
    again = Authenticator(edited, "k", sessions, credentials=credentials)
    assert await again.sign_in("alice", "a-new-secret") is None
    assert await again.sign_in("alice", "from-the-file") is not None


async def test_another_role_ends_the_sessions() -> None:
    sessions, credentials = MemorySessions(), MemoryCredentials()
    auth = Authenticator(config(), "k", sessions, credentials=credentials)
    token = await auth.sign_in("alice", "pw-alice")
    assert token is not None
    promoted = Authenticator(config(role="supervisor"), "k", sessions, credentials=credentials)
    assert await promoted.principal_for(token) is None
    fresh = await promoted.sign_in("alice", "pw-alice")
    assert fresh is not None
    principal = await promoted.principal_for(fresh)
    assert principal is not None and principal.role == "supervisor"


async def test_the_hash_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []

    def recording(password: str, hashed: str) -> tuple[bool, str | None]:
        threads.append(threading.current_thread())
        return verify_and_update(password, hashed)

    monkeypatch.setattr("switchboard.auth.verify_and_update", recording)
    auth = Authenticator(config(), "k")
    assert await auth.check_password("alice", "pw-alice") == "alice"
    assert await auth.check_password("mallory", "pw-alice") is None  # the decoy, also off it
    assert len(threads) == 2 and threading.main_thread() not in threads


async def test_replicas_share_the_rehash_and_a_change_through_the_cli(
    tmp_path: Path, nats_server: NatsServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two replicas on one bucket: what one rehashes the other checks; `switchboard people
    password` ends the person's sessions on both at once."""
    config_file = tmp_path / "switchboard.toml"
    config_file.write_text(
        '[[people]]\nid = "sam"\nname = "Sam"\nrole = "supervisor"\n'
        f'password_hash = "{CHEAP_ARGON2.hash("s")}"\n'
        f'\n[[people]]\nid = "alice"\nname = "A"\nsupervisor = "sam"\npassword_hash = "{OLD}"\n'
    )
    loaded = SwitchboardConfig.load(config_file)
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        sessions = MemorySessions()  # shared, as the sessions bucket is
        one, two = (
            Authenticator(loaded, "k", sessions, credentials=KvCredentials(js)) for _ in range(2)
        )
        token = await one.sign_in("alice", "pw-alice")
        assert token is not None
        entry = await (await js.key_value(CREDENTIALS_BUCKET)).get("alice")
        assert entry.value is not None and b"$argon2id$" in entry.value
        assert await two.sign_in("alice", "pw-alice") is not None
        assert await two.principal_for(token) is not None

        monkeypatch.setenv("SWITCHBOARD_CONFIG_FILE", str(config_file))
        monkeypatch.setenv("SWITCHBOARD_NATS_URL", nats_server.url)
        monkeypatch.setattr("sys.stdin", _Lines("changed-by-cli\n"))
        code = await asyncio.to_thread(cli.main, ["people", "password", "alice", "--stdin"])
        assert code == 0
        assert await one.principal_for(token) is None
        assert await two.sign_in("alice", "pw-alice") is None
        assert await one.sign_in("alice", "changed-by-cli") is not None
    finally:
        await nc.close()


def test_people_add_appends_a_real_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "switchboard.toml"
    config_file.write_text("[routing]\noffer_timeout_seconds = 20\n")
    config_file.chmod(0o640)
    monkeypatch.setenv("SWITCHBOARD_CONFIG_FILE", str(config_file))

    def add(*args: str, password: str) -> int:
        monkeypatch.setattr("sys.stdin", _Lines(password + "\n"))
        return cli.main(["people", "add", *args, "--stdin"])

    assert add("hana", "--name", "Hana K", "--role", "supervisor", password="hana-s3cret") == 0
    assert add("ivan", "--name", "Ivan", "--supervisor", "hana", password="ivan-s3cret") == 0
    loaded = SwitchboardConfig.load(config_file)
    assert [(p.id, p.role, p.supervisor) for p in loaded.people] == [
        ("hana", "supervisor", None),
        ("ivan", "agent", "hana"),
    ]
    assert loaded.routing.offer_timeout_seconds == 20  # the rest of the file as it was
    assert config_file.stat().st_mode & 0o777 == 0o640
    ivan = loaded.people[1]
    assert ivan.password_hash and verify_and_update("ivan-s3cret", ivan.password_hash)[0]
    assert "ivan-s3cret" not in config_file.read_text()
    before = config_file.read_text()
    capsys.readouterr()
    # Refused, one line each, the file untouched: a taken id, a short password, the id as
    # password, an unknown supervisor.
    assert add("ivan", "--name", "Again", password="whatever-long") == 2
    assert add("jo", "--name", "Jo", password="short") == 2
    assert add("julia", "--name", "Julia", password="Julia") == 2
    assert add("kim", "--name", "Kim", "--supervisor", "nobody", password="kim-s3cret") == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 4 and "exists already" in errors[0] and "supervisor" in errors[3]
    assert config_file.read_text() == before
    assert tomllib.loads(before)


class _Lines:
    """Standard input holding some lines."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)

    def readline(self) -> str:
        return self.lines.pop(0) if self.lines else ""
