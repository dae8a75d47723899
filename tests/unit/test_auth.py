"""Passwords and tokens, with plain calls."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.config import ApiToken, AuthConfig, Person, SwitchboardConfig
from switchboard.auth import Authenticator, Principal
from switchboard.passwords import hash_password, verify_password
from switchboard.sessions import MemorySessions

PEOPLE = [
    Person(id="alice", name="A", supervisor="sam", password_hash=hash_password("pw-a", 1000)),
    Person(id="sam", name="S", role="supervisor", supervisor="hana"),
    Person(id="hana", name="H", role="supervisor"),
]
TOKEN = "integrator-token-0123456789abcdef"


def authenticator(people: list[Person] = PEOPLE) -> Authenticator:
    tokens = [ApiToken(name="crm", role="integrator", token=TOKEN)]
    return Authenticator(SwitchboardConfig(people=people, auth=AuthConfig(tokens=tokens)), "k")


def test_passwords_verify_only_themselves() -> None:
    hashed = hash_password("correct horse", iterations=1000)
    assert verify_password("correct horse", hashed)
    assert not verify_password("correct horsE", hashed)
    assert not verify_password("correct horse", "plain-text-is-not-a-hash")
    assert hashed != hash_password("correct horse", iterations=1000)  # salted


async def test_sign_in_gives_a_token_that_names_the_person() -> None:
    auth = authenticator()
    assert await auth.sign_in("alice", "wrong") is None
    assert await auth.sign_in("sam", "anything") is None  # no password: cannot sign in
    assert await auth.sign_in("nobody", "pw-a") is None
    token = await auth.sign_in("alice", "pw-a")
    assert token is not None
    assert await auth.principal_for(token) == Principal("alice", "agent")
    assert await auth.principal_for(token[:-2] + "xx") is None  # tampered
    assert await auth.principal_for(TOKEN) == Principal("crm", "integrator")
    gone = Authenticator(authenticator(PEOPLE[1:]).config, "k", auth.sessions)
    assert await gone.principal_for(token) is None  # alice left the config
    assert (
        await Authenticator(auth.config, "another key", auth.sessions).principal_for(token) is None
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_sessions_end_on_sign_out_timeouts_and_a_changed_password() -> None:
    clock = Clock()
    config = authenticator().config
    auth = Authenticator(config, "k", MemorySessions(), clock)
    out = await auth.sign_in("alice", "pw-a")
    assert out is not None
    await auth.close_session(out)
    assert await auth.principal_for(out) is None  # signed out: refused from now on

    idle = await auth.sign_in("alice", "pw-a")
    assert idle is not None
    clock.now += auth.idle - 1
    assert await auth.principal_for(idle) is not None  # in use: refreshed
    clock.now += auth.idle - 1
    assert await auth.principal_for(idle) is not None
    clock.now += auth.idle + 1
    assert await auth.principal_for(idle) is None  # left alone too long

    absolute = await auth.sign_in("alice", "pw-a")
    assert absolute is not None
    for _ in range(int(auth.max_age // (auth.idle / 2)) + 1):
        clock.now += auth.idle / 2
        await auth.principal_for(absolute)
    assert await auth.principal_for(absolute) is None  # however busy, signed in too long

    kept = await auth.sign_in("alice", "pw-a")
    assert kept is not None
    new_password = [
        p.model_copy(update={"password_hash": hash_password("pw-new", 1000)})
        if p.id == "alice"
        else p
        for p in config.people
    ]
    changed = Authenticator(
        config.model_copy(update={"people": new_password}), "k", auth.sessions, clock
    )
    assert await changed.principal_for(kept) is None  # the password changed


def test_supervisors_act_for_the_people_below_them() -> None:
    auth = authenticator()
    hana, sam, alice = (
        Principal("hana", "supervisor"),
        Principal("sam", "supervisor"),
        Principal("alice", "agent"),
    )
    assert auth.manages(hana, "alice") and auth.manages(sam, "alice")
    assert not auth.manages(sam, "hana") and not auth.manages(alice, "sam")
    assert auth.manages(alice, "alice") and auth.manages(Principal("ops", "admin"), "hana")


def test_the_config_refuses_weak_or_clashing_tokens() -> None:
    with pytest.raises(ValidationError):
        ApiToken(name="crm", role="integrator", token="short")
    with pytest.raises(ValidationError, match="token name"):
        SwitchboardConfig(
            people=[Person(id="crm", name="C")],
            auth=AuthConfig(tokens=[ApiToken(name="crm", role="admin", token=TOKEN)]),
        )
    with pytest.raises(ValidationError):
        Person(id="x", name="X", password_hash="secret")  # a password, not its hash
