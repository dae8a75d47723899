"""Passwords and tokens, with plain calls."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.config import ApiToken, AuthConfig, Person, SwitchboardConfig
from switchboard.auth import Authenticator, Principal
from switchboard.passwords import hash_password, verify_password

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


def test_sign_in_gives_a_token_that_names_the_person() -> None:
    auth = authenticator()
    assert auth.sign_in("alice", "wrong") is None
    assert auth.sign_in("sam", "anything") is None  # no password: cannot sign in
    assert auth.sign_in("nobody", "pw-a") is None
    token = auth.sign_in("alice", "pw-a")
    assert token is not None
    assert auth.principal_for(token) == Principal("alice", "agent")
    assert auth.principal_for(token[:-2] + "xx") is None  # tampered
    assert auth.principal_for(TOKEN) == Principal("crm", "integrator")
    assert authenticator(PEOPLE[1:]).principal_for(token) is None  # alice left the config
    assert Authenticator(auth.config, "another key").principal_for(token) is None


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
